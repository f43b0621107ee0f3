"""Webhook sinks against a real HTTP server: retries with back-off, no retry of a refusal, never blocking."""

from __future__ import annotations

import asyncio
import http.server
import json
import threading
from datetime import UTC, datetime

from shoal.core import events as event_rules
from shoal.manager.webhooks import WebhookSink, check_url, shown
from tests.conftest import free_port


class Receiver(http.server.BaseHTTPRequestHandler):
    fail_first = 0  # answer 503 to this many requests, then 200
    refuse = False  # answer 400 to everything
    bodies: list[dict] = []
    calls = 0

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Receiver.calls += 1
        if Receiver.refuse:
            self.send_response(400)
        elif Receiver.calls <= Receiver.fail_first:
            self.send_response(503)
        else:
            Receiver.bodies.append(body)
            self.send_response(200)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def _event(n: int):
    return event_rules.new_event(
        event_id=f"e{n}",
        cluster="c",
        detail_type="ECS Exec",
        resources=[],
        detail={"n": n},
        time=datetime.now(UTC),
    )


def test_webhooks_retry_then_deliver_in_order_and_give_up_on_refusals() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook?token=secret"

    async def body() -> None:
        sink = WebhookSink(url, first_delay=0.05, max_delay=0.1, attempts=4)
        sink.start()
        Receiver.fail_first = 2
        for n in range(3):
            sink.offer(_event(n))
        for _ in range(200):
            if sink.delivered == 3:
                break
            await asyncio.sleep(0.05)
        assert [b["detail"]["n"] for b in Receiver.bodies] == [0, 1, 2]
        assert Receiver.calls == 5 and Receiver.bodies[0]["detail-type"] == "ECS Exec"
        Receiver.refuse, Receiver.calls = True, 0
        sink.offer(_event(3))
        for _ in range(100):
            if sink.failed == 1:
                break
            await asyncio.sleep(0.05)
        assert sink.failed == 1 and Receiver.calls == 1  # a 400 is not asked again
        await sink.stop()
        # A stopped (or slow) receiver never blocks the emitter: the oldest are dropped.
        small = WebhookSink(url, queue_size=2)
        for n in range(5):
            small.offer(_event(n))
        assert small.dropped == 3 and [small.queue.get_nowait().id for _ in range(2)] == ["e3", "e4"]

    try:
        asyncio.run(body())
    finally:
        server.shutdown()
    assert "secret" not in shown(url) and shown(url).startswith("http://127.0.0.1:")
    for bad in ("ftp://x/", "http://", "hook"):
        try:
            check_url(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad} accepted")
