"""What the manager has yet to send one agent session: coalesced where only the latest state counts, and
bounded, so that an agent that stops reading (stuck, or behind a link too slow for what it is sent)
cannot make the manager's memory grow without limit.

Desired tasks wait as one message with one entry per task (a task's latest desired state replaces the
one that waited; a full set replaces every change before it), a heartbeat acknowledgement waits at
most once and a load balancer configuration only in its latest version. Past MAX_BYTES (beyond the
instance's full task set, its state, which is sent at every session's start however large it is) or
MAX_MESSAGES waiting, the session is ended: the agent reconnects and gets its full task set again,
which is all it missed.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field

from shoal.v1 import agent_pb2

MAX_BYTES = 16 * 2**20  # encoded size of everything waiting, desired tasks included
MAX_MESSAGES = 1000  # messages waiting besides the desired tasks (stream input, mostly)


@dataclass
class _Message:
    msg: agent_pb2.ManagerMessage
    size: int


@dataclass
class _Desired:
    """Desired-task changes not sent yet: one entry per task, the latest one."""

    full: bool
    seq: int = 0
    tasks: dict[str, agent_pb2.AgentTask] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)
    size: int = 0

    def merge(self, desired: agent_pb2.DesiredTasks) -> int:
        """Take `desired` in (a full set replaces what waited); the change in encoded size."""
        before = self.size
        if desired.full:
            self.full = True
            self.tasks.clear()
            self.sizes.clear()
            self.size = 0
        self.seq = desired.seq
        for at in desired.tasks:
            arn = at.task.task_arn
            self.tasks.pop(arn, None)  # to the end: the agent reads the batch in order, the last entry wins
            self.tasks[arn] = at
            size = at.ByteSize() + 4  # + the field's tag and length
            self.size += size - self.sizes.get(arn, 0)
            self.sizes[arn] = size
        return self.size - before

    def message(self) -> agent_pb2.ManagerMessage:
        return agent_pb2.ManagerMessage(
            desired=agent_pb2.DesiredTasks(seq=self.seq, full=self.full, tasks=list(self.tasks.values()))
        )


class SessionOutbox:
    """A FIFO of ManagerMessages for one session (`put_nowait`, `get`), as asyncio.Queue has them."""

    def __init__(self, max_bytes: int = MAX_BYTES, max_messages: int = MAX_MESSAGES) -> None:
        self.max_bytes = max_bytes
        self.max_messages = max_messages
        self._queue: deque[_Message | _Desired] = deque()
        self._desired: _Desired | None = None  # the desired entry while it waits in the queue
        self._lb: _Message | None = None  # the load balancer configuration while it waits
        self._ack: _Message | None = None  # the heartbeat acknowledgement while it waits
        self._ready = asyncio.Event()
        self.closed = asyncio.Event()
        self.bytes = 0  # encoded size waiting
        self.full_set_bytes = 0  # the size of the latest full task set: allowed on top of max_bytes
        self.messages = 0  # messages waiting besides the desired entry
        self.peak_bytes = 0
        self.overflow = ""  # why the session was ended for not keeping up ("" if it was not)

    def qsize(self) -> int:
        return len(self._queue)

    def put_nowait(self, msg: agent_pb2.ManagerMessage) -> None:
        if self.closed.is_set():
            return
        kind = msg.WhichOneof("body")
        if kind == "desired":
            if self._desired is None:
                self._desired = _Desired(full=msg.desired.full)
                self._queue.append(self._desired)
            self.bytes += self._desired.merge(msg.desired)
            if msg.desired.full:
                self.full_set_bytes = self._desired.size
        elif kind == "heartbeat_ack" and self._ack is not None:
            return  # one acknowledgement waiting says as much as several
        elif kind == "lb_config" and self._lb is not None:
            size = msg.ByteSize()
            self.bytes += size - self._lb.size
            self._lb.msg, self._lb.size = msg, size  # only the newest configuration matters
        else:
            entry = _Message(msg, msg.ByteSize())
            self._queue.append(entry)
            self.bytes += entry.size
            self.messages += 1
            if kind == "heartbeat_ack":
                self._ack = entry
            elif kind == "lb_config":
                self._lb = entry
        self.peak_bytes = max(self.peak_bytes, self.bytes)
        if self.bytes > self.max_bytes + self.full_set_bytes:
            limit = f"{self.max_bytes / 2**20:g} MiB"
            if self.full_set_bytes:
                limit += f" (+ {self.full_set_bytes / 2**20:.1f} MiB of its full task set)"
            self._overflowed(f"{self.bytes / 2**20:.1f} MiB waiting to be sent, over the {limit} limit")
        elif self.messages > self.max_messages:
            self._overflowed(f"{self.messages} messages waiting, over the limit of {self.max_messages}")
        else:
            self._ready.set()

    async def get(self) -> agent_pb2.ManagerMessage | None:
        """The next message to send; None once the session is to end."""
        while not self._queue and not self.closed.is_set():
            self._ready.clear()
            await self._ready.wait()
        if self.closed.is_set():
            return None
        entry = self._queue.popleft()
        self.bytes -= entry.size
        if isinstance(entry, _Desired):
            self._desired = None
            return entry.message()
        self.messages -= 1
        if entry is self._lb:
            self._lb = None
        elif entry is self._ack:
            self._ack = None
        return entry.msg

    def close(self) -> None:
        """End the session: what still waits is dropped (a new session starts with the full set)."""
        self.closed.set()
        self._ready.set()
        self._queue.clear()
        self._desired = self._lb = self._ack = None
        self.bytes = self.messages = 0

    def _overflowed(self, why: str) -> None:
        self.overflow = why
        self.close()
