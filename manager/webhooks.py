"""Webhook sinks: each recorded event POSTed as its EventBridge JSON, with retries and back-off.

The emitter only puts events on a bounded queue (never waits on a receiver); a worker per URL posts
them in order. When a receiver is down for long, the oldest queued events are dropped and counted.
Only the URL's scheme and host are logged: webhook URLs often carry a token.
"""

from __future__ import annotations

import asyncio
import logging
import random
import urllib.parse
from typing import Any

from shoal.core import events as event_rules
from shoal.manager.events import detailed
from shoal.v1 import events_pb2

log = logging.getLogger(__name__)
QUEUE = 10_000


def check_url(url: str) -> str:
    """An http(s) URL with a host, or ValueError saying what is wrong."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{shown(url)}: expected an http:// or https:// URL with a host")
    return url


def shown(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or '?'}{':' + str(parts.port) if parts.port else ''}/…"


class WebhookSink:
    def __init__(
        self,
        url: str,
        *,
        attempts: int = 6,
        first_delay: float = 0.5,
        max_delay: float = 30.0,
        timeout: float = 5.0,
        queue_size: int = QUEUE,
    ) -> None:
        self.url = check_url(url)
        self.attempts = attempts
        self.first_delay = first_delay
        self.max_delay = max_delay
        self.timeout = timeout
        self.queue: asyncio.Queue[events_pb2.Event] = asyncio.Queue(queue_size)
        self.delivered = self.failed = self.dropped = 0
        # Imported only when a webhook is configured: requests costs the manager a few MiB.
        import requests

        self._requests: Any = requests
        self._session = requests.Session()
        self._runner: asyncio.Task | None = None

    def start(self) -> None:
        if self._runner is None:
            self._runner = asyncio.create_task(self._run(), name=f"webhook {shown(self.url)}")

    async def stop(self) -> None:
        if self._runner is not None:
            self._runner.cancel()
            await asyncio.gather(self._runner, return_exceptions=True)
            self._runner = None
        self._session.close()

    def offer(self, event: events_pb2.Event) -> None:
        """Queue an event; never blocks (a full queue loses its oldest event)."""
        if self.queue.full():
            self.queue.get_nowait()
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                log.warning("webhook %s is behind: %d event(s) dropped so far", shown(self.url), self.dropped)
        self.queue.put_nowait(event)

    async def _run(self) -> None:
        while True:
            event = await self.queue.get()
            if await self.deliver(event):
                self.delivered += 1
            else:
                self.failed += 1

    async def deliver(self, event: events_pb2.Event) -> bool:
        body = event_rules.to_eventbridge(detailed(event))
        delay = self.first_delay
        for attempt in range(1, self.attempts + 1):
            try:
                resp = await asyncio.to_thread(self._session.post, self.url, json=body, timeout=self.timeout)
                if resp.status_code < 300:
                    return True
                problem = f"HTTP {resp.status_code}"
                # A refusal other than "too many" or "timeout" will not change by asking again.
                if 400 <= resp.status_code < 500 and resp.status_code not in (408, 429):
                    log.warning("webhook %s refused event %s: %s", shown(self.url), event.id, problem)
                    return False
            except self._requests.RequestException as exc:
                problem = type(exc).__name__
            if attempt < self.attempts:
                await asyncio.sleep(delay * random.uniform(0.5, 1.0))
                delay = min(delay * 2, self.max_delay)
        log.warning(
            "webhook %s: event %s not delivered after %d attempts (%s)",
            shown(self.url),
            event.id,
            self.attempts,
            problem,
        )
        return False
