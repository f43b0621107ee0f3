"""The committed generated code must match proto/shoal/v1/*.proto."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_generated_code_matches_proto(tmp_path: Path) -> None:
    (tmp_path / "shoal" / "v1").mkdir(parents=True)
    protos = sorted(str(p.relative_to(ROOT / "proto")) for p in (ROOT / "proto/shoal/v1").glob("*.proto"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            "-I.",
            f"--python_out={tmp_path}",
            f"--pyi_out={tmp_path}",
            f"--grpc_python_out={tmp_path}",
            *protos,
        ],
        cwd=ROOT / "proto",
        check=True,
    )
    fresh = {p.name: p.read_text() for p in (tmp_path / "shoal/v1").iterdir()}
    committed = {
        p.name: p.read_text()
        for p in (ROOT / "proto/shoal/v1").iterdir()
        if p.name.endswith((".py", ".pyi")) and p.name != "__init__.py"
    }
    assert sorted(fresh) == sorted(committed), "run proto/generate.sh and commit the result"
    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert stale == [], f"stale generated files {stale}: run proto/generate.sh"
