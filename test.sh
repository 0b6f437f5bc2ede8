#!/usr/bin/env bash
# The whole test suite: set up .venv with the training and test extras, run pytest.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/venv.sh
ensure_venv "train,test"
exec python -m pytest "$@"
