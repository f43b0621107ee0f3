#!/usr/bin/env bash
# Set up this machine (deploy/setup.sh) and run the full test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
./deploy/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
echo "==> ruff"
ruff check .
ruff format --check .
echo "==> import-linter (layering contracts in pyproject.toml)"
lint-imports --no-cache
echo "==> shellcheck (what runs as root on new VMs)"
shellcheck deploy/install-agent.sh
echo "==> pytest"
exec pytest -q -rs --durations=25 "$@"
