#!/usr/bin/env bash
# The main job: set up .venv if needed, then run the live bridge with the default
# preset and the bundled model (`beatgen run`; arguments are passed on, e.g.
# --preset endless --backend jack).  Where no MIDI system is available (no ALSA
# sequencer, no JACK server, no ports) it says why and continues the bundled
# example seed offline instead, so the model can still be heard.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/venv.sh
ensure_venv ""
status=0
beatgen run "$@" || status=$?
if [ "$status" -eq 3 ]; then
    echo "no MIDI system here (see the line above and docs/setup.md); continuing the example seed offline instead" >&2
    mkdir -p out
    beatgen generate examples/seed_groove.mid -o out/continued.mid --include-seed
    echo "open out/continued.mid in your DAW (drums on channel 10)"
    exit 0
fi
exit "$status"
