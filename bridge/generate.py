"""`beatgen generate`: continue the first bars of MIDI seed files and write playable MIDI.

Outputs are checked before anything is generated: none may be an input,
no two inputs may map to one output, and each must be a new or regular
file (midi_files.check_output_file).  So a bad set of arguments writes
nothing, and a good one writes each file whole or not at all.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from bridge.live.offline import OfflineError, play_after
from bridge.midi_io.midi_files import (
    GM_DRUM_CHANNEL,
    GM_OUTPUT_NOTES,
    MidiFileError,
    check_output_file,
    read_drum_part,
    write_drum_midi,
)
from bridge.model.step_model import StepModel
from bridge.music.conditions import hits_by_bar
from bridge.music.hits import DrumPart, Hit
from bridge.settings.controls import Controls
from bridge.settings.note_maps import load_note_map
from bridge.settings.presets import Preset
from bridge.system.safe_text import printable

MIDI_SUFFIXES = (".mid", ".midi")
LINE_LIMIT = 1000  # characters of one printed line: long paths fit, a flood does not


class GenerateError(ValueError):
    """Bad arguments or inputs for generate, with a message for the user."""


@dataclass(frozen=True)
class GenerateOptions:
    seed_bars: int = 2
    bars: int = 4
    # Everything the live bridge's controls set: sampling, style, density, fills, the random seed
    # (-1 = random), and the shaping of notes on their way out (mute, lock, feel).
    controls: Controls = Controls()
    include_seed: bool = False
    channel: int = GM_DRUM_CHANNEL
    fill_last: bool = False  # the last generated bar is a fill
    loop: bool = False  # the bars are a loop (the preset's mode): written as the bridge writes a loop
    output_notes: tuple[int, ...] = GM_OUTPUT_NOTES  # drum class -> pitch (the preset's output note map)

    def __post_init__(self) -> None:
        if self.seed_bars < 1 or self.bars < 1:
            raise GenerateError("--seed-bars and --bars must be at least 1")
        if not 0 <= self.channel <= 15:
            raise GenerateError("--channel must be between 1 and 16")


def options_from_preset(preset: Preset) -> GenerateOptions:
    """The options that continue a file offline as the preset plays live (generate --preset, the TUI's
    offline screen).

    Seed bars = the bars the preset listens to; generated bars = its answer
    (call & response) or its loop (loop); continuous mode has no length, so
    it gets `beatgen generate`'s default.  Every control (sampling, style,
    density, fills, random seed, mute, lock, feel), the output channel and
    the output note map come from the preset.
    """
    mode, output = preset["mode"], preset["output"]
    bars = {"call_response": mode["response_bars"], "loop": mode["loop_bars"]}.get(mode["kind"], GenerateOptions.bars)
    return GenerateOptions(
        mode["listen_bars"], bars, Controls.from_preset(preset), channel=output["channel"] - 1,
        loop=mode["kind"] == "loop", output_notes=load_note_map(output["note_map"]).output_notes,
    )  # fmt: skip


def expand_inputs(inputs: list[str]) -> list[Path]:
    """Files as given, folders as their MIDI files (sorted); an empty folder is an error."""
    paths: list[Path] = []
    for name in inputs:
        path = Path(name)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix.lower() in MIDI_SUFFIXES)
            if not found:
                raise GenerateError(f"{path}: no .mid files in this folder")
            paths.extend(found)
        else:
            paths.append(path)
    return paths


def output_paths(inputs: list[Path], output: str | None, out_dir: str | None) -> list[Path]:
    if output and out_dir:
        raise GenerateError("give either -o OUT.mid or --out-dir DIR, not both")
    if output:
        if len(inputs) != 1:
            raise GenerateError(f"-o takes one input, got {len(inputs)}; use --out-dir for several")
        return [Path(output)]
    if not out_dir:
        raise GenerateError("say where to write: -o OUT.mid or --out-dir DIR")
    return [Path(out_dir) / f"{p.stem}_continued.mid" for p in inputs]


def check_targets(inputs: list[Path], targets: list[Path]) -> None:
    """Refuse, before anything is written, outputs that would destroy an input or each other's work."""
    places = {_place(path): path for path in inputs}
    written: dict[tuple, Path] = {}
    for source, target in zip(inputs, targets):
        check_output_file(target)
        place = _place(target)
        if place in places:
            raise GenerateError(f"{target}: is the input {places[place]}; choose another output so the seed is kept")
        if place in written:
            raise GenerateError(
                f"{written[place]} and {source} would both be written to {target}; rename one or run them separately"
            )
        written[place] = source


def _place(path: Path) -> tuple:
    """Where a path is on disk: the file's identity when it exists (hard links, links, case-insensitive
    disks all compare equal), else the resolved path, case-folded where the OS ignores case."""
    try:
        status = path.stat()
    except OSError:
        return ("path", os.path.normcase(str(path.resolve())))
    return ("file", status.st_dev, status.st_ino)


def check_meter(part: DrumPart, model: StepModel, path: Path) -> None:
    meter = "{}/{}".format(*part.time_signature)
    supported = model.info.get("meters", ["4/4"])
    if meter not in supported:
        raise MidiFileError(
            f"{path}: time signature {meter} is not supported by this model (it knows {', '.join(supported)})"
        )


def continue_file(model: StepModel, path: Path, target: Path, options: GenerateOptions) -> str:
    """Generate for one seed file and write it; returns the summary line."""
    part = read_drum_part(path)
    check_meter(part, model, path)
    _notices(part, path, options)
    seed_bars = min(options.seed_bars, part.bar_count)
    call = hits_by_bar(part.hits, part.bar_lines[: seed_bars + 1])
    call = [[Hit(h.time - line, h.drum, h.velocity) for h in bar] for bar, line in zip(call, part.bar_lines)]
    try:
        written = play_after(
            model, call, options.bars, options.controls, fill_last=options.fill_last, loop=options.loop, bpm=part.bpm
        )
    except OfflineError as error:
        raise MidiFileError(f"{path}: {error}") from error
    bar_beats = part.bar_lines[1] - part.bar_lines[0]
    hits = [Hit(index * bar_beats + h.time, h.drum, h.velocity) for index, bar in enumerate(written) for h in bar]
    if options.include_seed:
        seed_length = part.bar_lines[seed_bars] - part.bar_lines[0]
        seed_hits = [h for h in part.hits if h.time < part.bar_lines[seed_bars]]
        hits = seed_hits + [Hit(h.time + seed_length, h.drum, h.velocity) for h in hits]
    write_drum_midi(target, hits, part.bpm, part.time_signature, options.channel, output_notes=options.output_notes)
    total_bars = options.bars + (seed_bars if options.include_seed else 0)
    seed = f"{seed_bars}-bar seed from {path.name}, {part.bpm:.1f} BPM"
    return f"wrote {target}: {total_bars} bars, {len(hits)} hits ({seed})"


def _notices(part: DrumPart, path: Path, options: GenerateOptions) -> None:
    if not part.had_tempo:
        _warn(f"{path}: no tempo in the file, using 120 BPM")
    if part.unknown_pitches:
        listed = ", ".join(f"{pitch}x{count}" for pitch, count in sorted(part.unknown_pitches.items()))
        _warn(f"{path}: ignored notes with pitches outside the drum map: {listed}")
    if part.bar_count < options.seed_bars:
        _warn(f"{path}: has only {part.bar_count} bar(s); using all of it as the seed")


def _warn(line: str) -> None:
    """One line on stderr; file names are user text, so control characters are shown escaped."""
    print(printable(line, LINE_LIMIT), file=sys.stderr)


def run_generate(
    inputs: list[str], output: str | None, out_dir: str | None, model: StepModel, options: GenerateOptions
) -> int:
    """Continue every input; returns the number of inputs that failed."""
    paths = expand_inputs(inputs)
    targets = output_paths(paths, output, out_dir)
    check_targets(paths, targets)
    failures = 0
    for path, target in zip(paths, targets):
        try:  # every file with the same random seed: each is what the bridge plays after that call
            print(printable(continue_file(model, path, target, options), LINE_LIMIT))
        except MidiFileError as error:
            _warn(f"beatgen generate: {error}")
            failures += 1
    return failures
