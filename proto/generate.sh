#!/usr/bin/env bash
# Regenerate the committed Python code for proto/shoal/v1/*.proto (tests/unit/test_proto_fresh.py checks it).
set -euo pipefail
cd "$(dirname "$0")"
out=${1:-.}
python -m grpc_tools.protoc -I. --python_out="$out" --pyi_out="$out" --grpc_python_out="$out" shoal/v1/*.proto
