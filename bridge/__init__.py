"""Beat Generation's runtime: the live bridge, offline generation and the `beatgen` command line.

The package in layers; each imports only the layers above it in this list
(`tui/` and `model_tools/` build on `bridge/`, never the other way round):

- `music/`     pure token and drum math: hits, drum classes, the tokenizer, lookback, sampling
- `model/`     the TFLite step model and its artifact (`model.json`), the continuation and
               the live token stream; the shipped model's files live here too
- `settings/`  presets, the preset store, note maps, live controls and how they shape a bar
- `system/`    thread priorities, and keeping native libraries off our stderr
- `midi_io/`   the edges: ports (the only python-rtmidi importer), MIDI files (the only mido
               importer), export of a live session
- `live/`      the live engine: the pure core (`core.py`, `events.py`, `performance.py`,
               `transport.py`, `clock.py` and its parts, `modes.py`, `note_scheduler.py`,
               `takes.py`), its thread shell (`engine.py`), the inference worker, and the
               bridge as an object in this process or a child (`runner.py`, `bridge_process.py`)
- `generate.py` offline continuation of MIDI files (`beatgen generate`, the UI's offline screen)
- `resources/` where the factory presets, note maps and example seed are found
- `cli/`       `beatgen` and its subcommands; other packages add theirs through the
               "beatgen.commands" entry point
"""

__version__ = "0.1.0"
