#!/usr/bin/env bash
# The whole test suite: set up .venv with the training, test and Link extras, run pytest.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/venv.sh
ensure_venv "train,test,link"
exec python -m pytest "$@"
