"""Ending the keep-alive connections of the manager's asyncio HTTP servers (ECS API, /metrics) at shutdown.

Closing a connection ends its handler's read with EOF, so the handler returns on its own (cancelling it
instead trips asyncio's stream callback, which logs the CancelledError). Over TLS, though, the close
waits for the peer's answer to close_notify, and an idle keep-alive client (an SDK's connection pool, a
Prometheus server between scrapes) does not read: asyncio would wait for it for 30 s, beyond the end of
the process' event loop. Such a connection is dropped after a moment instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

CLOSE_WAIT_SECONDS = 0.5


async def end_connections(
    connections: Mapping[asyncio.Task[None], asyncio.StreamWriter], wait: float = CLOSE_WAIT_SECONDS
) -> None:
    """Close every connection; drop those whose handler has not returned `wait` seconds later."""
    tasks = list(connections)
    if not tasks:
        return
    for writer in list(connections.values()):
        writer.close()
    _, pending = await asyncio.wait(tasks, timeout=wait)
    for task in pending:
        writer = connections.get(task)
        if writer is not None:
            writer.transport.abort()  # the handler's read then ends with EOF
    if pending:
        await asyncio.wait(pending, timeout=wait)
