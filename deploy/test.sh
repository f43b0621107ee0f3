#!/usr/bin/env bash
# Set up this machine (deploy/setup.sh) and run the full test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
./deploy/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
echo "==> ruff"
ruff check .
echo "==> pytest"
exec pytest -q -rs "$@"
