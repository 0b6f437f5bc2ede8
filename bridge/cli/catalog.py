"""`beatgen models` and `beatgen note-maps`: what can be named in a preset, factory and the user's own.

Both read small files only (model.json, note-map TOML), never a model or
TensorFlow, so they answer at once on any install.  A broken file is listed
with its error (file and key) rather than hidden: the user put it there.
"""

from __future__ import annotations

from bridge.system.safe_text import printable


def add_commands(commands) -> None:
    p = commands.add_parser("models", help="list the models presets and --model can name: bundled and yours")
    p.set_defaults(handler=_models)
    p = commands.add_parser("note-maps", help="list the note maps presets can name: factory and yours")
    p.set_defaults(handler=_note_maps)


def _models(_args) -> int:
    from bridge.model.catalog import model_entries
    from bridge.settings.user_config import user_models_dir

    for entry in model_entries():
        print(f"{printable(entry.name, 48):<20} {_origin(entry)}  {printable(entry.path, 300)}")
    folder = printable(user_models_dir(), 300)
    print(f"(your models live in {folder}; make one with `beatgen train CLIPS --from bundled -o NAME`)")
    return 0


def _origin(entry) -> str:
    if entry.error:
        return f"broken: {printable(entry.error, 300)}"
    if entry.fine_tuned_from:
        clips = f"{entry.clips} clip{'s' if entry.clips != 1 else ''}"
        return f"fine-tuned from {printable(entry.fine_tuned_from, 48)} on {clips}"
    return "shipped" if entry.name == "bundled" else "trained from scratch"


def _note_maps(_args) -> int:
    from bridge.settings.note_maps import note_map_entries
    from bridge.settings.user_config import user_note_maps_dir

    broken = 0
    for entry in note_map_entries():
        origin = "factory" if entry.factory else "yours"
        if entry.error:
            broken += 1
            print(f"{printable(entry.name, 48):<20} {origin:<8} broken: {printable(entry.error, 300)}")
        else:
            print(f"{printable(entry.name, 48):<20} {origin:<8} {printable(entry.description, 200)}")
    print(f"(your note maps live in {printable(user_note_maps_dir(), 300)}; docs/presets.md describes the format)")
    return 1 if broken else 0
