#!/usr/bin/env bash
# The main job: set up .venv if needed, then continue the bundled example seed
# with the bundled model (the live bridge and TUI replace this in later releases).
set -euo pipefail
cd "$(dirname "$0")"
source scripts/venv.sh
ensure_venv ""
mkdir -p out
beatgen generate examples/seed_groove.mid -o out/continued.mid --include-seed "$@"
echo "open out/continued.mid in your DAW (drums on channel 10)"
