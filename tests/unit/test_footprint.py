"""The agent's footprint: what its libraries would load and it never uses stays out of its process."""

from __future__ import annotations

import os
import subprocess
import sys

# Runs the real entry point as `shoal-agent --help` does (every agent module is imported by then) and
# reports, at exit, what is loaded and whether OpenSSL is mapped into the process.
PROBE = """
import atexit, sys
def report():
    import hashlib
    names = ("ssl", "_ssl", "_hashlib", "charset_normalizer", "chardet")
    loaded = sorted(m for m in names if sys.modules.get(m))
    openssl = any("libcrypto" in line or "libssl" in line for line in open("/proc/self/maps"))
    print(loaded, openssl, "shoal.agent.runtime.docker" in sys.modules, hashlib.sha256(b"x").hexdigest()[:8])
atexit.register(report)
sys.argv = ["shoal-agent", "--help"]
from shoal.agent.entry import main
main()
"""


def probe(env: dict[str, str]) -> str:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, env=env, check=False
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().splitlines()[-1]


def test_the_agent_loads_no_openssl_nor_charset_detector_with_a_local_engine() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
    assert probe(env) == "[] False True 2d711642"  # sha256("x") by hashlib's built-in code


def test_an_engine_reached_over_tls_keeps_pythons_ssl() -> None:
    env = dict(os.environ, DOCKER_HOST="tcp://127.0.0.1:2376", DOCKER_TLS_VERIFY="1")
    loaded, openssl, *_ = probe(env).split("] ")
    assert "'ssl'" in loaded and "'charset_normalizer'" not in loaded and openssl.startswith("True")
