"""UI defects a tester found (issue 13), each driven with Textual's Pilot as a user would meet it."""

from __future__ import annotations

import pytest

from tests.tui.support import make_app
from tests.tui.test_tui_app import field, help_text, run
from tui.dialogs import NameDialog

pytestmark = pytest.mark.ui


def test_a_field_left_invalid_blocks_save_as_with_its_error_in_view(tmp_path):
    """Typing 99 into listen_bars (1-16) passed through 9; Save as wrote 9 while the field showed 99."""
    app = make_app(tmp_path)
    saved = tmp_path / "presets" / "mine.toml"

    async def scenario(pilot):
        listen = field(app, "mode", "listen_bars")
        listen.focus()
        listen.value = ""
        await pilot.press("9", "9")
        assert "out of range" in help_text(app, "mode", "listen_bars")
        await pilot.press("ctrl+s")  # a factory preset: would ask for a name
        await pilot.pause()
        assert not isinstance(app.screen, NameDialog), "no name asked while a field is invalid"
        app.action_save_as()
        await pilot.pause()
        assert not isinstance(app.screen, NameDialog)
        app._save_as("mine")  # the name dialog's answer, had it been open
        await pilot.pause()
        assert not saved.exists(), "nothing written"
        assert app.focused is listen and listen.value == "99", "the field in view, as typed"
        messages = [str(n.message) + " " + str(n.title) for n in app._notifications]
        assert any("listen_bars" in m and "out of range" in m for m in messages), messages
        await pilot.press("backspace")  # 9: valid again
        await pilot.pause()
        app._save_as("mine")
        await pilot.pause()
        assert "listen_bars = 9" in saved.read_text(), "what the field shows is what is saved"

    run(app, scenario)


@pytest.mark.parametrize(("size", "fits"), [((120, 40), True), ((80, 24), False)], ids=["40 rows", "24 rows"])
def test_help_fits_a_40_row_terminal_and_scrolls_visibly_in_a_shorter_one(tmp_path, size, fits):
    """The help overlay was taller than a 40-row terminal, its last lines out of sight."""
    from textual.containers import VerticalScroll

    from tui.help_screen import HelpScreen

    app = make_app(tmp_path)

    async def scenario(pilot):
        await pilot.press("question_mark")
        await pilot.pause(0.2)
        assert isinstance(app.screen, HelpScreen)
        scroll = app.screen.query_one(VerticalScroll)
        assert scroll.region.height <= size[1]
        if fits:
            assert scroll.max_scroll_y == 0 and not scroll.border_subtitle
            return
        assert "more below" in str(scroll.border_subtitle)
        await pilot.press("pagedown", "pagedown", "pagedown")
        await pilot.pause(0.2)
        assert scroll.scroll_y == scroll.max_scroll_y > 0, "the keys scroll to the end"

    run(app, scenario, size=size)


def test_the_no_midi_panel_says_each_thing_once(tmp_path, monkeypatch):
    """The panel repeated the reason's remedies (and rtmidi's ALSA message) in its help line.

    The reason is the one the real port layer gives where neither ALSA's sequencer nor a JACK
    server is there (rtmidi made to fail as on such a machine)."""
    import rtmidi

    import bridge.midi_io.ports as ports
    from tests.tui.support import fake_factory

    apis = {api: name for name, api in ports.BACKEND_APIS.items()}
    words = {"alsa": "MidiInAlsa::initialize: error creating ALSA sequencer client object.", "jack": "JACK?"}

    def refusing(rtapi, name):
        raise rtmidi.SystemError(words[apis[rtapi]])

    monkeypatch.setattr(rtmidi, "MidiIn", refusing)
    with pytest.raises(ports.PortError) as caught:
        ports.open_ports(lambda message, when: None, "auto", platform="linux")
    app = make_app(tmp_path, fake_factory(fail=caught.value))

    async def scenario(pilot):
        await pilot.pause()
        panel = " ".join(str(app.query_one(f"#{part}").render()) for part in ("no-midi-reason", "no-midi-help"))
        for phrase in ("ALSA sequencer", "snd-seq", "JACK server", "jackd", "pw-jack"):
            assert panel.count(phrase) == 1, f"{phrase!r} said {panel.count(phrase)} times: {panel}"
        assert "press r to retry" in panel

    run(app, scenario)
