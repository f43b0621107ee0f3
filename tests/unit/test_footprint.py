"""The agent's footprint: what its libraries would load and it never uses stays out of its process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import free_port

# Runs the real entry point as `shoal-agent --help` does (every agent module is imported by then) and
# reports, at exit, what is loaded and whether OpenSSL is mapped into the process.
# (Under -OO, as the entry point re-executes the agent: see test_the_agent_runs_without_docstrings.)
PROBE = """
import atexit, sys, types
def report():
    import hashlib
    names = ("ssl", "_ssl", "_hashlib", "charset_normalizer", "chardet")
    loaded = sorted(m for m in names if sys.modules.get(m))
    openssl = any("libcrypto" in line or "libssl" in line for line in open("/proc/self/maps"))
    # Imported, but not executed until first used (a lazy module turns into a plain one then).
    lazy = ("tarfile", "pickle")
    deferred = sorted(m for m in lazy if m in sys.modules and type(sys.modules[m]) is not types.ModuleType)
    import tarfile, pickle
    works = pickle.loads(pickle.dumps([1])) == [1] and tarfile.TarFile.__name__ == "TarFile"
    digest = hashlib.sha256(b"x").hexdigest()[:8]
    print(loaded, openssl, "shoal.agent.runtime.docker" in sys.modules, digest, deferred, works)
atexit.register(report)
sys.argv = ["shoal-agent", "--help"]
from shoal.agent.entry import main
main()
"""


def probe(env: dict[str, str]) -> str:
    out = subprocess.run(
        [sys.executable, "-OO", "-c", PROBE], capture_output=True, text=True, timeout=60, env=env, check=False
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().splitlines()[-1]


def test_the_agent_loads_no_openssl_nor_charset_detector_with_a_local_engine() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
    # sha256("x") by hashlib's built-in code; tarfile and pickle loaded when used, and working then
    assert probe(env) == "[] False True 2d711642 ['pickle', 'tarfile'] True"


def test_an_engine_reached_over_tls_keeps_pythons_ssl() -> None:
    env = dict(os.environ, DOCKER_HOST="tcp://127.0.0.1:2376", DOCKER_TLS_VERIFY="1")
    loaded, openssl, *_ = probe(env).split("] ")
    assert "'ssl'" in loaded and "'charset_normalizer'" not in loaded and openssl.startswith("True")


def test_the_agent_runs_without_docstrings(tmp_path: Path) -> None:
    """`shoal-agent` re-executes itself under -OO, in the same process (its pid is what was started)."""
    agent = Path(sys.executable).with_name("shoal-agent")
    proc = subprocess.Popen(
        [str(agent), "--manager", f"127.0.0.1:{free_port()}", "--data-dir", str(tmp_path), "--insecure"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        cmdline: list[str] = []
        while time.monotonic() < deadline and "-OO" not in cmdline:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes().decode().split("\0")
            time.sleep(0.1)
        # The same interpreter, whichever of its names (python, python3) started the tests.
        assert Path(cmdline[0]).resolve() == Path(sys.executable).resolve(), cmdline
        assert cmdline[1:4] == ["-OO", "-m", "shoal.agent.entry"], cmdline
        assert cmdline[4:7] == ["--manager", cmdline[5], "--data-dir"]
        # Still found by its name (what `pgrep shoal-agent` and top match), as before the exec.
        deadline = time.monotonic() + 30
        while (
            time.monotonic() < deadline
            and Path(f"/proc/{proc.pid}/comm").read_text().strip() != "shoal-agent"
        ):
            time.sleep(0.1)
        assert Path(f"/proc/{proc.pid}/comm").read_text().strip() == "shoal-agent"
    finally:
        proc.terminate()
        proc.wait(30)


def test_help_has_its_description_without_docstrings() -> None:
    out = subprocess.run(
        [str(Path(sys.executable).with_name("shoal-agent")), "--help"],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert "Registers this VM with the manager" in out.stdout
    sim = subprocess.run(
        [sys.executable, "-OO", "-m", "shoal.agent.entry", "simulate", "--help"],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert "Many container instances in one process" in sim.stdout
