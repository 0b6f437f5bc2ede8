"""The UI against faults it must survive: any file in the user's folder, signals, a bridge that dies.

Files: whatever lies in the user's presets folder (named like a factory
preset, not TOML, not UTF-8, nested thousands deep, megabytes long, a
dangling link, a folder) is listed with its error and the app starts; a
broken state file is ignored with a line saying so.  Signals: SIGINT,
SIGTERM, SIGHUP and SIGQUIT quit like ctrl+q (the bridge closed, every note
off) with exit status 128 + the signal.  A bridge that dies: a real
BridgeProcess whose real child main serves a stand-in bridge
(tests/tui/fake_child.py, no JACK needed) is killed with SIGKILL or reports
a fault; the notice says why within a second and r restarts it, the new
bridge switching every note off first.  The same on real JACK ports:
test_tui_faults_jack.py.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time

import pytest

from bridge.live import bridge_process
from bridge.live.bridge_process import BridgeProcess, describe_exit
from bridge.settings.presets import DEFAULT_PRESET, FACTORY_PRESETS_DIR, Preset, validate
from tests.tui import fake_child
from tests.tui.support import FakeBridge, make_app
from tui.options import prepare_child_processes, real_bridge
from tui.preset_entries import MAX_PRESET_BYTES

FACTORY = "call-and-response"
NESTED = "a = " + "[" * 20_000 + "]" * 20_000 + "\n"  # tomllib: RecursionError (no PresetError of its own)


def run(app, scenario, size=(120, 40)) -> None:
    """`scenario(pilot)` in the running app (once it has a bridge or says why not); then ctrl+q unless it quit."""

    async def go():
        async with app.run_test(size=size) as pilot:
            await wait_for(pilot, lambda: app.connection.state != "opening", 20)
            await scenario(pilot)
            if app.is_running:
                await pilot.press("ctrl+q")
                await pilot.pause()

    asyncio.run(go())


async def wait_for(pilot, condition, timeout: float) -> float:
    """Seconds until `condition()` held; AssertionError after `timeout`."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"condition not reached in {timeout} s")
        await pilot.pause(0.02)
    return time.monotonic() - started


def messages(app) -> list[str]:
    return [str(notification.message) for notification in app._notifications]


@pytest.fixture(autouse=True)
def fresh_instances(monkeypatch, tmp_path):
    FakeBridge.instances.clear()
    monkeypatch.setenv("BEATGEN_CONFIG_DIR", str(tmp_path / "config"))


# -- files in the user's folder -------------------------------------------------------------------------


@pytest.mark.ui
def test_a_user_preset_named_like_a_factory_one_is_listed_with_the_clash_and_the_app_starts(tmp_path):
    presets = tmp_path / "presets"
    presets.mkdir()
    (presets / f"{FACTORY}.toml").write_text((FACTORY_PRESETS_DIR / f"{FACTORY}.toml").read_text())
    app = make_app(tmp_path)

    async def scenario(pilot):
        assert app.is_running and app.preset.name == DEFAULT_PRESET == FACTORY
        listed = app.preset_list.entries
        factory, user = listed[FACTORY], listed[f"user/{FACTORY}"]
        assert factory.factory and factory.error is None
        assert not user.factory and "name of the factory preset" in user.error and str(presets) in user.error
        options = app.preset_list.options
        options.focus()
        options.highlighted = [option.id for option in options.options].index(f"user/{FACTORY}")
        await pilot.pause()
        assert "rename the file" in str(app.preset_list.query_one("#preset-detail").render())
        await pilot.press("enter")  # choosing the shadowed file says why it cannot be played
        await pilot.pause()
        assert any("name of the factory preset" in m for m in messages(app)), messages(app)
        assert app.preset.path == FACTORY_PRESETS_DIR / f"{FACTORY}.toml" and app.is_running

    run(app, scenario)


def _write_bad_files(presets) -> dict[str, str]:
    """One file of each kind that cannot be a preset; name -> a word its listed error must contain."""
    presets.mkdir()
    (presets / "not-toml.toml").write_text("[mode\nkind = ")
    (presets / "latin1.toml").write_bytes(b"[preset]\ndescription = '\xe9t\xe9'\n")
    (presets / "nested.toml").write_text(NESTED)
    (presets / "huge.toml").write_text("# padding\n" * (MAX_PRESET_BYTES // 10 + 1))
    (presets / "dangling.toml").symlink_to(presets / "nowhere.toml")
    (presets / "folder.toml").mkdir()
    (presets / "fine.toml").write_text("[preset]\ndescription = 'still listed'\n")
    # The words are the UI's own only where the UI finds the fault itself (the size); the rest are the store's.
    return {"not-toml": "", "latin1": "", "nested": "", "huge": "too large", "dangling": "", "folder": ""}


@pytest.mark.ui
def test_every_kind_of_broken_file_in_the_user_folder_is_listed_with_its_error(tmp_path):
    bad = _write_bad_files(tmp_path / "presets")
    app = make_app(tmp_path)

    async def scenario(pilot):
        listed = app.preset_list.entries
        for name, word in bad.items():
            error = listed[name].error
            assert error and str(tmp_path / "presets" / name) in error and word in error.lower(), (name, error)
        assert listed["fine"].error is None and listed["fine"].description == "still listed"
        for name in bad:  # chosen from the palette: its error, the app goes on
            app.load_preset_named(name)
            await pilot.pause()
        assert app.preset.name == DEFAULT_PRESET and app.is_running

    run(app, scenario)


@pytest.mark.ui
@pytest.mark.parametrize(
    "content",
    [NESTED, "last_preset = 'endl", "# x\n" * (70 << 10) + "last_preset = 'endless'\n"],
    ids=["nested", "not-toml", "huge"],
)
def test_a_broken_state_file_is_ignored_with_a_line_and_replaced_by_the_next_preset_loaded(tmp_path, content):
    state = tmp_path / "state.toml"
    state.write_text(content)
    app = make_app(tmp_path)

    async def scenario(pilot):
        assert app.is_running and app.preset.name == DEFAULT_PRESET
        assert any(str(state) in m and "ignored" in m for m in messages(app)), messages(app)
        app.load_preset_named("endless")
        await pilot.pause()

    run(app, scenario)
    assert make_app(tmp_path).preset.name == "endless", "a fresh state file remembers the preset"


@pytest.mark.ui
def test_a_last_used_preset_nested_too_deeply_falls_back_to_the_default(tmp_path):
    (tmp_path / "presets").mkdir()
    (tmp_path / "presets" / "deep.toml").write_text(NESTED)
    (tmp_path / "state.toml").write_text("last_preset = 'deep'\n")
    app = make_app(tmp_path)

    async def scenario(pilot):
        assert app.is_running and app.preset.name == DEFAULT_PRESET
        assert any("deep.toml" in m and DEFAULT_PRESET in m for m in messages(app)), messages(app)

    run(app, scenario)


@pytest.mark.ui
def test_whatever_reading_a_user_file_raises_is_that_files_error(tmp_path, monkeypatch):
    """The UI's edge: not only PresetError (a reader that raises RecursionError, as tomllib does on deep
    nesting, or anything a later release may raise) is one file's error, in the list and at start."""
    from bridge.settings.preset_store import PresetStore
    from tui import preset_entries

    (tmp_path / "presets").mkdir()
    (tmp_path / "presets" / "deep.toml").write_text("")
    (tmp_path / "state.toml").write_text("last_preset = 'deep'\n")
    real_read, real_load = preset_entries.load_preset, PresetStore.load

    def read(path, *args):
        if "deep" in str(path):
            raise RecursionError("maximum recursion depth exceeded")
        return real_read(path, *args)

    def load(self, name):
        return read(name) if name == "deep" else real_load(self, name)

    monkeypatch.setattr(preset_entries, "load_preset", read)
    monkeypatch.setattr(PresetStore, "load", load)
    app = make_app(tmp_path)

    async def scenario(pilot):
        assert app.is_running and app.preset.name == DEFAULT_PRESET
        assert "nested too deeply" in app.preset_list.entries["deep"].error
        assert any("deep" in m and f"using {DEFAULT_PRESET} instead" in m for m in messages(app)), messages(app)
        app.load_preset_named("deep")
        await pilot.pause()
        assert any("RecursionError" in m for m in messages(app)) and app.preset.name == DEFAULT_PRESET

    run(app, scenario)


# -- signals ----------------------------------------------------------------------------------------------


@pytest.mark.ui
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT], ids=lambda s: s.name)
def test_a_signal_quits_like_ctrl_q_with_128_plus_its_number(tmp_path, signum):
    app = make_app(tmp_path)

    async def scenario(pilot):
        os.kill(os.getpid(), signum)  # the app's loop handles it (this process's default would end the test)
        await wait_for(pilot, lambda: not app.is_running, 5)

    run(app, scenario)
    assert FakeBridge.instances[-1].closed, "the bridge was closed (every note off) before the app exited"
    assert app.return_code == 128 + signum
    assert f"{signum.name} received" in "\n".join(app.bridge_log.lines)


# -- a bridge child that dies ---------------------------------------------------------------------------


@pytest.fixture
def stand_in_child(monkeypatch):
    """BridgeProcess starts tests/tui/fake_child.py's child: the real child main, no MIDI."""
    monkeypatch.setattr(bridge_process, "_child_main", fake_child.child_main)
    monkeypatch.delenv(fake_child.FAULT, raising=False)
    prepare_child_processes()  # as create_app does for the real bridge (Textual's stderr has no fd)


def _child_pid(app) -> int:
    return app.bridge._process.pid


@pytest.mark.ui
def test_a_killed_bridge_child_is_reported_within_a_second_and_r_restarts_it_silencing_first(tmp_path, stand_in_child):
    app = make_app(tmp_path, real_bridge)
    seen: dict = {}

    async def scenario(pilot):
        assert app.connection.state == "open", app.connection
        first = app.bridge
        os.kill(_child_pid(app), signal.SIGKILL)
        seen["took"] = await wait_for(pilot, lambda: app.connection.state == "gone", 3)
        reason = str(app.query_one("#no-midi-reason").render())
        assert "The bridge stopped unexpectedly (killed by SIGKILL)" in reason, reason
        assert "Restart (r)" in str(app.query_one("#retry").label)
        assert "r restarts it" in app.status_bar.lines[0]
        assert app.bridge is None and first.exit_reason() == "killed by SIGKILL"
        await pilot.press("p")  # no bridge to send to: no crash
        await pilot.press("r")
        await wait_for(pilot, lambda: app.connection.state == "open", 20)
        assert app.bridge is not first and app.bridge.exit_reason() is None
        await wait_for(pilot, lambda: "command Panic" in "\n".join(app.bridge_log.lines), 3)
        assert app.query_one("#no-midi").has_class("-shown") is False and app.pattern.display

    run(app, scenario)
    log = "\n".join(app.bridge_log.lines)
    assert seen["took"] < 1.0, f"noticed after {seen['took']:.2f} s"
    assert "the bridge process exited unexpectedly (exit code -9: killed by SIGKILL)" in log, log
    assert log.count("command Panic") == 1, "the restarted bridge switched notes off first (once)"
    assert "stopped: all notes off" in log, "ctrl+q closed the restarted bridge"


@pytest.mark.ui
def test_a_fault_of_the_bridge_is_shown_in_its_words_with_the_restart_offer(tmp_path, stand_in_child, monkeypatch):
    monkeypatch.setenv(fake_child.FAULT, "the JACK server went away")
    monkeypatch.setenv(fake_child.FAULT_AFTER, "0.5")
    app = make_app(tmp_path, real_bridge)

    async def scenario(pilot):
        await wait_for(pilot, lambda: app.connection.state == "gone", 5)
        reason = str(app.query_one("#no-midi-reason").render())
        assert "The bridge stopped unexpectedly (the JACK server went away)" in reason, reason
        monkeypatch.delenv(fake_child.FAULT)  # the server is back: the restart plays on
        await pilot.press("r")
        await wait_for(pilot, lambda: app.connection.state == "open", 20)
        await pilot.pause(0.6)
        assert app.connection.state == "open"

    run(app, scenario)
    log = "\n".join(app.bridge_log.lines)
    assert "the bridge cannot play on: the JACK server went away" in log and "stopped: all notes off" in log, log


# -- the child's own signals ----------------------------------------------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT], ids=lambda s: s.name)
def test_the_child_closes_its_bridge_on_sigterm_sighup_and_sigquit_and_says_so(stand_in_child, signum):
    logs: list[str] = []
    bridge = BridgeProcess(Preset("p", None, validate({})), log=logs.append)
    bridge.open()
    try:
        assert bridge.exit_reason() is None
        os.kill(bridge._process.pid, signum)
        deadline = time.monotonic() + 5
        while bridge.exit_reason() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert bridge.exit_reason() == f"it received {signum.name} and closed, every note off"
        assert bridge._process.exitcode == 0, "a clean exit after closing the bridge"
        assert any("stopped: all notes off" in line for line in logs), logs
        with pytest.raises(RuntimeError, match="exited"):
            bridge.status()
    finally:
        bridge.close()


def test_the_child_ignores_sigint_the_parent_decides(stand_in_child):
    bridge = BridgeProcess(Preset("p", None, validate({})), log=lambda _line: None)
    bridge.open()
    try:
        os.kill(bridge._process.pid, signal.SIGINT)
        time.sleep(0.5)
        assert bridge.exit_reason() is None and bridge._process.is_alive()
    finally:
        bridge.close()
    assert bridge.exit_reason() is None, "closed on request: no unexpected exit"


def test_exit_codes_in_words():
    assert describe_exit(-9) == "killed by SIGKILL"
    assert describe_exit(-15) == "killed by SIGTERM"
    assert describe_exit(3) == "it exited with status 3"
    assert describe_exit(0) == "it exited"
