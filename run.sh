#!/usr/bin/env bash
# The main job: set up .venv if needed, then open the terminal UI with the live
# bridge inside it (`beatgen tui`: the last used preset, the default one the first
# time, and the bundled model; arguments are passed on, e.g. --preset endless
# --backend jack).  Where there is no MIDI system (no JACK server, no ALSA
# sequencer) the UI says why and what to do, and offers offline generation.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/venv.sh
ensure_venv ""
ensure_link_extra
exec beatgen tui "$@"
