"""Logs and exec streams multiplexed on agent sessions: which session holds an instance, per-stream queues.

The agent sends a stream's output only within the window the manager grants (credit per message taken
by the caller), so `deliver` never blocks the session's reader, which carries heartbeats and reports.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from typing import Protocol

from shoal.core.errors import ShoalError, Unavailable
from shoal.v1 import agent_pb2

log = logging.getLogger(__name__)
WINDOW = 16  # StreamData messages in flight per stream (each up to a few hundred lines)
OPEN_TIMEOUT = 30.0  # seconds for the agent's first answer to a stream it was asked to open


class Outbox(Protocol):
    """Where a session's messages wait to be sent (manager/outbox.py; an asyncio.Queue in tests)."""

    def put_nowait(self, msg: agent_pb2.ManagerMessage, /) -> None: ...


class SessionLink:
    """One open agent session, as streams see it: where to send, which streams are open on it."""

    def __init__(self, cluster: str, instance_id: str, outbox: Outbox) -> None:
        self.cluster = cluster
        self.instance_id = instance_id
        self.outbox = outbox
        self.streams: dict[int, AgentStream] = {}
        self.closed = False


class AgentStream:
    """The manager's end of one stream to an agent."""

    def __init__(self, link: SessionLink, stream_id: int, window: int) -> None:
        self.link = link
        self.id = stream_id
        # Bounded by the window the agent honours (checked in deliver); the final message is not counted.
        self.window = window
        self.queue: asyncio.Queue[agent_pb2.StreamData | ShoalError] = asyncio.Queue()
        self.done = False
        self.opened = False

    def _send(self, **fields) -> None:
        if not self.link.closed:
            self.link.outbox.put_nowait(
                agent_pb2.ManagerMessage(stream_input=agent_pb2.StreamInput(stream_id=self.id, **fields))
            )

    async def recv(self) -> agent_pb2.StreamData:
        """The next output; raises the ShoalError the stream failed with (agent gone, refused). The
        agent's first answer must come within OPEN_TIMEOUT seconds: a stuck agent is no hang."""
        if not self.opened:
            try:
                item = await asyncio.wait_for(self.queue.get(), OPEN_TIMEOUT)
            except TimeoutError:
                self.close()
                raise Unavailable(
                    f"the agent of instance {self.link.instance_id} did not open the stream within "
                    f"{OPEN_TIMEOUT:.0f} s",
                    reason="AGENT_NOT_ANSWERING",
                ) from None
            self.opened = True
        else:
            item = await self.queue.get()
        if isinstance(item, ShoalError):
            self.done = True
            raise item
        if item.end:
            self.done = True
        return item

    def grant(self, n: int = 1) -> None:
        """The caller took `n` messages: the agent may send as many more."""
        self._send(credit=n)

    def stdin(self, data: bytes) -> None:
        self._send(stdin=data)

    def close_stdin(self) -> None:
        self._send(stdin_closed=True)

    def resize(self, rows: int, cols: int) -> None:
        self._send(rows=rows, cols=cols)

    def close(self) -> None:
        """The caller is done: cancel the agent's side unless it ended by itself."""
        self.link.streams.pop(self.id, None)
        if not self.done:
            self.done = True
            self._send(cancel=True)


class StreamRouter:
    """The sessions this replica holds, by instance, and the streams open on them."""

    def __init__(self) -> None:
        self._links: dict[tuple[str, str], SessionLink] = {}
        self._ids = itertools.count(1)

    def attach(self, cluster: str, instance_id: str, outbox: Outbox) -> SessionLink:
        link = SessionLink(cluster, instance_id, outbox)
        old = self._links.get((cluster, instance_id))
        self._links[(cluster, instance_id)] = link
        if old is not None:
            self.detach(old, keep_current=True)
        return link

    def detach(self, link: SessionLink, *, keep_current: bool = False) -> None:
        """The session ended: its streams fail with UNAVAILABLE (the caller may retry)."""
        link.closed = True
        if not keep_current and self._links.get((link.cluster, link.instance_id)) is link:
            del self._links[(link.cluster, link.instance_id)]
        for s in list(link.streams.values()):
            s.done = True
            err = Unavailable(
                f"instance {link.instance_id} disconnected during the stream", reason="AGENT_DISCONNECTED"
            )
            s.queue.put_nowait(err)
        link.streams.clear()

    def holds(self, cluster: str, instance_id: str) -> SessionLink | None:
        link = self._links.get((cluster, instance_id))
        return link if link is not None and not link.closed else None

    def open(self, link: SessionLink, request: agent_pb2.StreamOpen, window: int = WINDOW) -> AgentStream:
        stream = AgentStream(link, next(self._ids), window)
        link.streams[stream.id] = stream
        request.stream_id = stream.id
        request.window = window
        link.outbox.put_nowait(agent_pb2.ManagerMessage(stream_open=request))
        return stream

    def deliver(self, link: SessionLink, data: agent_pb2.StreamData) -> None:
        """Output from the agent (on the session's reader: never blocks)."""
        s = link.streams.get(data.stream_id)
        if s is None:
            return  # a stream the caller already left
        if data.end:
            link.streams.pop(s.id, None)
            s.queue.put_nowait(data)
            return
        if s.queue.qsize() >= s.window:
            log.warning("agent %s overran stream %d's window; closing it", link.instance_id, s.id)
            link.streams.pop(s.id, None)
            s.done = True
            s._send(cancel=True)
            s.queue.put_nowait(Unavailable("the agent sent more than the stream's window", reason="OVERRUN"))
            return
        s.queue.put_nowait(data)
