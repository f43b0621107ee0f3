"""The CLI on hostile input: one line on stderr and a non-zero exit, never a traceback or a silent drop."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import BIN


def shoal(*args: str) -> subprocess.CompletedProcess:
    # No manager listens there: every case must be refused before a request is sent.
    env = dict(os.environ, SHOAL_ENDPOINT="127.0.0.1:1")
    return subprocess.run([str(BIN / "shoal"), *args], capture_output=True, text=True, env=env, timeout=60)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    deep = "[" * 100_000 + "]" * 100_000
    out = {
        "deep": deep,
        "deep_obj": '{"a":' * 100_000 + "1" + "}" * 100_000,
        "latin1": '{"family": "caf\xe9"}',
        "dc": '{"maximumPercent": 200, "x": "\xff"}',
        "tags_object": '{"family":"f","containerDefinitions":[{"name":"a","image":"b","memory":64}],'
        '"tags":{"team":"web"}}',
    }
    paths = {}
    for name, text in out.items():
        p = tmp_path / f"{name}.json"
        p.write_bytes(text.encode("latin-1"))
        paths[name] = f"file://{p}"
    return paths


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("task-definition", "register", "--cli-input-json", "{deep}"), "nested too deeply"),
        (("task", "run", "--task-definition", "x", "--overrides", "{deep_obj}"), "nested too deeply"),
        (("task-definition", "register", "--cli-input-json", "{latin1}"), "is not UTF-8"),
        (
            (
                "service",
                "create",
                "--service-name",
                "s",
                "--task-definition",
                "x",
                "--desired-count",
                "1",
                "--deployment-configuration",
                "{dc}",
            ),
            "is not UTF-8",
        ),
        (("task", "run", "--task-definition", "x", "--placement-strategy", "[1,2]"), "list of objects"),
        (("task-definition", "register", "--cli-input-json", "{tags_object}"), "tags must be a JSON list"),
        (("task", "run", "--task-definition", "x", "--overrides", "[]"), "must be a JSON object"),
        (("task", "run", "--task-definition", "x", "--overrides", "x" * 5000), "not valid JSON"),
    ],
)
def test_hostile_cli_input_is_one_line(files: dict[str, str], args: tuple[str, ...], words: str) -> None:
    r = shoal(
        *(
            a.format(**files) if a.startswith("{") and a.endswith("}") and a[1:-1] in files else a
            for a in args
        )
    )
    assert r.returncode != 0
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and words in lines[0], r.stderr[-2000:]
    assert "Traceback" not in r.stderr


@pytest.mark.e2e
def test_duplicate_json_keys_warn(tmp_path: Path) -> None:
    p = tmp_path / "td.json"
    p.write_text('{"family": "a", "family": "b", "containerDefinitions": []}')
    r = shoal("task-definition", "register", "--cli-input-json", f"file://{p}")
    assert 'key "family" is given twice' in r.stderr
    assert "Traceback" not in r.stderr
