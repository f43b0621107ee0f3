"""bench/link_delay.py, the fault campaign's added latency where the kernel has no netem: two network
namespaces joined by a veth pair, a TCP round trip timed without and with the delay, then after it."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import require_binary

ROOT = Path(__file__).resolve().parents[2]
ECHO = textwrap.dedent(
    """
    import socket
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("10.98.0.2", 9999))
    s.listen()
    print("listening", flush=True)
    while True:
        c, _ = s.accept()
        while data := c.recv(64):
            c.sendall(data)
        c.close()
    """
)
PING = textwrap.dedent(
    """
    import socket, time
    c = socket.create_connection(("10.98.0.2", 9999), timeout=10)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    times = []
    for _ in range(5):
        t = time.perf_counter()
        c.sendall(b"x")
        c.recv(8)
        times.append(time.perf_counter() - t)
    print(min(times) * 1000)
    """
)


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


def _rtt_ms(ns: str) -> float:
    out = subprocess.run(
        ["ip", "netns", "exec", ns, sys.executable, "-c", PING], check=True, capture_output=True, text=True
    )
    return float(out.stdout.strip())


def test_link_delay_adds_latency_to_what_a_namespace_sends_and_heals() -> None:
    require_binary("ip")
    require_binary("iptables")
    if os.geteuid() != 0:
        pytest.fail("network namespaces need root (run the suite as root, as .ci/run does)", pytrace=False)
    tag = secrets.token_hex(3)
    a, b = f"shoal-dly{tag}-a", f"shoal-dly{tag}-b"
    procs: list[subprocess.Popen] = []
    try:
        _ip("netns", "add", a)
        _ip("netns", "add", b)
        _ip("link", "add", f"dly{tag}a", "type", "veth", "peer", "name", f"dly{tag}b")
        _ip("link", "set", f"dly{tag}a", "netns", a)
        _ip("link", "set", f"dly{tag}b", "netns", b)
        _ip("-n", a, "addr", "add", "10.98.0.1/24", "dev", f"dly{tag}a")
        _ip("-n", b, "addr", "add", "10.98.0.2/24", "dev", f"dly{tag}b")
        _ip("-n", a, "link", "set", f"dly{tag}a", "up")
        _ip("-n", b, "link", "set", f"dly{tag}b", "up")
        echo = subprocess.Popen(
            ["ip", "netns", "exec", b, sys.executable, "-c", ECHO], stdout=subprocess.PIPE, text=True
        )
        procs.append(echo)
        assert echo.stdout is not None and echo.stdout.readline().strip() == "listening"
        before = _rtt_ms(a)

        delayer = subprocess.Popen(
            ["ip", "netns", "exec", a, sys.executable, str(ROOT / "bench" / "link_delay.py"),
             "--delay-ms", "150", "--jitter-ms", "10"],
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        procs.append(delayer)
        assert delayer.stdout is not None and delayer.stdout.readline().startswith("delaying queue 0 by 150")
        rule = ["OUTPUT", "-j", "NFQUEUE", "--queue-num", "0", "--queue-bypass"]
        subprocess.run(["ip", "netns", "exec", a, "iptables", "-I", *rule], check=True)
        delayed = _rtt_ms(a)

        # Healed as the campaign heals it: the rule goes, then the process (held packets go out first).
        subprocess.run(["ip", "netns", "exec", a, "iptables", "-D", *rule], check=True)
        delayer.terminate()
        assert delayer.wait(10) == 0
        after = _rtt_ms(a)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait(5)
        subprocess.run(["ip", "netns", "del", a], check=False)
        subprocess.run(["ip", "netns", "del", b], check=False)
    print(f"round trip: {before:.2f} ms, delayed {delayed:.1f} ms, healed {after:.2f} ms")
    assert 140 <= delayed <= 1000, delayed  # one way delayed by 150 ± 10 ms; the echo's way not
    assert after < 50 and before < 50, (before, after)


def test_link_delay_lets_traffic_pass_when_it_is_gone() -> None:
    """--queue-bypass: a rule left behind by a killed delayer does not cut the link."""
    if os.geteuid() != 0:
        pytest.fail("network namespaces need root (run the suite as root, as .ci/run does)", pytrace=False)
    ns = f"shoal-dly{secrets.token_hex(3)}-c"
    try:
        _ip("netns", "add", ns)
        _ip("-n", ns, "link", "set", "lo", "up")
        rule = ["OUTPUT", "-j", "NFQUEUE", "--queue-num", "0", "--queue-bypass"]
        subprocess.run(["ip", "netns", "exec", ns, "iptables", "-I", *rule], check=True)
        code = (
            "import socket, time\n"
            "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()\n"
            "t = time.perf_counter(); c = socket.create_connection(s.getsockname(), timeout=5)\n"
            "print(time.perf_counter() - t)\n"
        )
        cmd = ["ip", "netns", "exec", ns, sys.executable, "-c", code]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True)
        assert float(out.stdout) < 1.0
    finally:
        subprocess.run(["ip", "netns", "del", ns], check=False)
