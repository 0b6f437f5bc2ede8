"""The port layer's choices that need no MIDI system: which backends `auto` tries on each
platform, how Windows' existing loopback ports are found by name, and the errors a user reads.
The real path (virtual ports on a JACK server, `beatgen ports`, auto passing over a missing ALSA
sequencer) is tested in test_live_jack.py."""

from __future__ import annotations

import pytest
import rtmidi

import bridge.midi_io.ports as ports
from bridge.midi_io.ports import PortError, auto_backends, open_ports


@pytest.mark.parametrize(
    "platform, expected",
    [("linux", ("alsa", "jack")), ("darwin", ("coremidi",)), ("win32", ("winmm",)), ("cygwin", ("winmm",)),
     ("freebsd13", ("alsa", "jack"))],
)  # fmt: skip
def test_auto_tries_the_backends_of_each_platform_in_order(platform, expected):
    assert auto_backends(platform) == expected


class LoopbackPort:
    """An rtmidi MidiIn/MidiOut as Windows shows it: existing ports only, opened by index."""

    def __init__(self, names: list[str]) -> None:
        self.names, self.opened = names, None

    def get_ports(self) -> list[str]:
        return list(self.names)

    def open_port(self, index: int) -> None:
        self.opened = index


def test_windows_opens_the_existing_loopback_ports_whose_names_contain_the_requested_ones():
    midi_in = LoopbackPort(["Microsoft GS Wavetable Synth 0", "beat generation in 1", "Beat Generation Out 2"])
    midi_out = LoopbackPort(["Microsoft GS Wavetable Synth 0", "Beat Generation Out 2", "beat generation in 1"])
    names = ports._open_existing(midi_in, midi_out, "Beat Generation In", "Beat Generation Out")
    assert names == ("beat generation in 1", "Beat Generation Out 2")
    assert (midi_in.opened, midi_out.opened) == (1, 1)


def test_windows_without_the_loopback_port_says_how_to_make_one_and_lists_what_is_there():
    midi_in = LoopbackPort(["loopMIDI Port 1"])
    with pytest.raises(PortError) as caught:
        ports._open_existing(midi_in, LoopbackPort([]), "Beat Generation In", "Beat Generation Out")
    message = str(caught.value)
    assert "Windows has no virtual MIDI ports" in message and "loopMIDI" in message
    assert "'Beat Generation In'" in message and "--in" in message and "loopMIDI Port 1" in message
    assert midi_in.opened is None


def test_a_backend_missing_from_python_rtmidi_is_named_with_the_reason(monkeypatch):
    monkeypatch.setattr(rtmidi, "get_compiled_api", lambda: [rtmidi.API_UNIX_JACK])
    with pytest.raises(PortError) as caught:
        open_ports(lambda message, when: None, "coremidi")
    assert str(caught.value) == (
        "no MIDI backend could open ports (tried coremidi): coremidi: CoreMIDI is only available on macOS"
        " (not compiled into this python-rtmidi)"
    )


def test_auto_lists_every_backend_it_tried_when_none_opens(monkeypatch):
    monkeypatch.setattr(rtmidi, "get_compiled_api", lambda: [])
    with pytest.raises(PortError) as caught:
        open_ports(lambda message, when: None, "auto", platform="linux")
    message = str(caught.value)
    assert message.startswith("no MIDI backend could open ports (tried alsa, jack): alsa: no ALSA sequencer")
    assert "; jack: no JACK server running" in message


def test_an_unknown_backend_is_refused_with_the_choices():
    with pytest.raises(PortError, match="unknown backend 'mme'; choose from auto, alsa, jack, coremidi, winmm"):
        open_ports(lambda message, when: None, "mme")


def test_a_missing_sequencer_and_server_are_each_said_once(monkeypatch):
    """issue 13: rtmidi's own words followed our hint and said the same thing again."""
    words = {
        "alsa": "MidiInAlsa::initialize: error creating ALSA sequencer client object.",
        "jack": "MidiInJack::initialize: JACK server not running?",
    }
    apis = {api: name for name, api in ports.BACKEND_APIS.items()}

    def refusing(rtapi, name):
        raise rtmidi.SystemError(words[apis[rtapi]])

    monkeypatch.setattr(rtmidi, "MidiIn", refusing)
    with pytest.raises(PortError) as caught:
        open_ports(lambda message, when: None, "auto", platform="linux")
    message = str(caught.value)
    assert message.count("ALSA sequencer") == 1 and message.count("JACK server") == 1, message
    assert "initialize" not in message
