"""The agent's proxy (shoal.agent.proxy) against real HAProxy: targets through the runtime API, a
reload that keeps a request in flight, drain, restore after an agent restart, stop."""

from __future__ import annotations

import asyncio
import http.client
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from shoal.agent.proxy import Proxy
from shoal.v1 import lb_pb2
from tests.conftest import free_port, require_binary, wait_for


def web(name: str) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.startswith("/slow"):
                time.sleep(3)
            body = f"{name} {self.path}".encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        def handle_error(self, request, client_address) -> None:
            pass  # health checks hang up without reading the answer

    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def targets() -> Iterator[list[ThreadingHTTPServer]]:
    servers = [web("s1"), web("s2")]
    yield servers
    for s in servers:
        s.shutdown()


@pytest.fixture
def proxy(tmp_path: Path) -> Iterator[Proxy]:
    require_binary("haproxy")
    p = Proxy(tmp_path / "agent")
    yield p
    asyncio.run(p.apply(lb_pb2.LbConfig()))  # stops it
    wait_for(lambda: not p.running(), 20, "haproxy to stop")


def config(port: int, servers: list[tuple[str, int, bool]], route: bool = False) -> lb_pb2.LbConfig:
    cfg = lb_pb2.LbConfig()
    f = cfg.frontends.add(name="edge", port=port, protocol="HTTP", default_backend="web")
    if route:
        f.routes.add(priority=1, path_patterns=["/other/*"], backend="web")
    b = cfg.backends.add(name="web", protocol="HTTP", health_check_protocol="HTTP", health_check_path="/")
    b.health_check_interval_seconds, b.healthy_threshold_count, b.unhealthy_threshold_count = 1, 1, 1
    b.matcher = "200"
    for name, p, draining in servers:
        b.servers.add(name=name, address="127.0.0.1", port=p, draining=draining)
    return cfg


def answer(port: int, path: str = "/") -> str:
    """The name of the target that answered, or "HTTP <status>" (503 while no target is UP)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request("GET", path)
        r = c.getresponse()
        body = r.read().decode()
        return body.split()[0] if r.status == 200 else f"HTTP {r.status}"
    finally:
        c.close()


def get(port: int, path: str = "/") -> str:
    got = answer(port, path)
    assert not got.startswith("HTTP "), got
    return got


def worker_pid(p: Proxy) -> str:
    return next(line for line in p.command("show info").splitlines() if line.startswith("Pid:"))


def test_targets_change_at_runtime_and_a_reload_keeps_requests_in_flight(proxy: Proxy, targets) -> None:
    port = free_port()
    s1, s2 = (s.server_address[1] for s in targets)
    asyncio.run(proxy.apply(config(port, [("s1", s1, False)])))
    assert proxy.error == "" and proxy.running()
    wait_for(lambda: answer(port) == "s1", 10, "the proxy to answer")
    worker = worker_pid(proxy)

    # A new target: runtime API only, the same worker serves both (once s2 passed its check).
    asyncio.run(proxy.apply(config(port, [("s1", s1, False), ("s2", s2, False)])))
    assert worker_pid(proxy) == worker
    wait_for(lambda: {get(port) for _ in range(6)} == {"s1", "s2"}, 10, "s2 to take requests")

    # A rule change reloads; a request in flight on the old worker still completes.
    answers: list[str] = []
    slow = threading.Thread(target=lambda: answers.append(get(port, "/slow")))
    slow.start()
    time.sleep(0.5)
    asyncio.run(proxy.apply(config(port, [("s1", s1, False), ("s2", s2, False)], route=True)))
    wait_for(lambda: worker_pid(proxy) != worker, 10, "the new worker")
    slow.join(15)
    assert len(answers) == 1, "the request in flight during the reload was dropped"
    assert get(port, "/other/x") in ("s1", "s2")

    # Draining: s1 takes no new request, its status says DRAIN.
    asyncio.run(proxy.apply(config(port, [("s1", s1, True), ("s2", s2, False)], route=True)))
    assert {get(port) for _ in range(6)} == {"s2"}
    status = asyncio.run(proxy.status_if_changed())
    assert status is not None and status.running
    assert {s.server: s.status.split()[0] for s in status.servers}["s1"] == "DRAIN"

    # Removed: gone from the proxy.
    asyncio.run(proxy.apply(config(port, [("s2", s2, False)], route=True)))
    st = asyncio.run(proxy.status_if_changed())
    assert st is not None and [s.server for s in st.servers] == ["s2"]
    assert " s1 " not in proxy.command("show servers state tg_web")


def test_a_new_target_gets_no_request_before_its_checks_pass_nor_after_a_reload(
    proxy: Proxy, targets
) -> None:
    """As an ELB target group: `initial` until healthyThresholdCount checks pass. HAProxy itself starts
    a server UP (after a reload too) and one passed check keeps it there."""
    port = free_port()
    s1 = targets[0].server_address[1]
    late, later = web("late"), web("later")

    def with_servers(cfg: lb_pb2.LbConfig, *names: str, route: bool = False) -> lb_pb2.LbConfig:
        out = lb_pb2.LbConfig()
        out.CopyFrom(cfg)
        ports = {"late": late.server_address[1], "later": later.server_address[1]}
        for name in names:
            out.backends[0].servers.add(name=name, address="127.0.0.1", port=ports[name])
        if route:
            out.frontends[0].routes.add(priority=1, path_patterns=["/other/*"], backend="web")
        return out

    def served_by(n: int = 20) -> set[str]:
        return {get(port) for _ in range(n)}

    def reload(cfg: lb_pb2.LbConfig) -> None:
        worker = worker_pid(proxy)
        asyncio.run(proxy.apply(cfg))
        wait_for(lambda: worker_pid(proxy) != worker, 10, "the new worker")

    try:
        quick = config(port, [("s1", s1, False)])
        asyncio.run(proxy.apply(quick))
        wait_for(lambda: answer(port) == "s1", 10, "the proxy to answer")
        ten = with_servers(quick)
        ten.backends[0].healthy_threshold_count = 10  # a target group change: a reload
        reload(ten)
        assert served_by() == {"s1"}, "s1 lost its UP state over the reload"

        asyncio.run(proxy.apply(with_servers(ten, "late")))  # runtime API: held DOWN
        assert served_by() == {"s1"}
        (st,) = [s for s in asyncio.run(proxy.status_if_changed()).servers if s.server == "late"]
        assert st.status.startswith("DOWN") and st.check_status in ("INI", "L7OK"), st

        time.sleep(2)  # late has passed a check or two of its ten
        reload(with_servers(ten, "late", "later", route=True))  # late keeps rising; later is held
        assert served_by() == {"s1"}, "a reload put a target in rotation before its checks passed"

        wait_for(lambda: "late" in served_by(6), 20, "late to pass its ten checks")
        wait_for(lambda: served_by(9) == {"s1", "late", "later"}, 20, "later to pass its checks")

        # HAProxy dies under a running agent: started again, its checked targets serve at once (from
        # the states kept as the agent last read its status).
        import os
        import signal

        asyncio.run(proxy.status_if_changed())
        os.kill(proxy._pid(), signal.SIGKILL)
        wait_for(lambda: not proxy.running(), 10, "haproxy to die")
        asyncio.run(proxy.apply(with_servers(ten, "late", "later", route=True)))
        wait_for(lambda: answer(port) != "HTTP 503" and not answer(port).startswith("HTTP"), 5, "an answer")
        assert served_by(9) == {"s1", "late", "later"}, "the restarted proxy held checked targets DOWN"
    finally:
        late.shutdown()
        later.shutdown()


def test_a_new_agent_adopts_the_running_proxy_and_its_configuration(
    proxy: Proxy, targets, tmp_path: Path
) -> None:
    port = free_port()
    s1 = targets[0].server_address[1]
    cfg = config(port, [("s1", s1, False)])
    asyncio.run(proxy.apply(cfg))
    wait_for(lambda: answer(port) == "s1", 10, "the proxy to answer")
    pid = proxy._pid()
    again = Proxy(tmp_path / "agent")  # the agent restarted
    again.restore()
    assert again.current == cfg and again._pid() == pid
    assert get(port) == "s1"
    # Killed meanwhile (a reboot): the saved configuration starts it again.
    import os
    import signal

    os.kill(pid, signal.SIGTERM)
    wait_for(lambda: not again.running(), 10, "haproxy to exit")
    third = Proxy(tmp_path / "agent")
    third.restore()
    assert third.running() and third._pid() != pid
    wait_for(lambda: answer(port) == "s1", 10, "the restarted proxy to answer")


def test_a_configuration_haproxy_refuses_is_reported_not_applied(proxy: Proxy, targets) -> None:
    cfg = config(free_port(), [("s1", targets[0].server_address[1], False)])
    cfg.frontends[0].port = 0  # haproxy cannot bind port 0 as a listener here
    cfg.backends[0].health_check_path = "/ bad"
    asyncio.run(proxy.apply(cfg))
    assert proxy.error and not proxy.running()
