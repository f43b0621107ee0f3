"""Waiting for the Docker Engine: an agent started before dockerd (or while it restarts) waits for it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from shoal.core.errors import one_line

log = logging.getLogger(__name__)
T = TypeVar("T")
# While an engine call found the engine unreachable, how often it is asked again whether it answers.
ENGINE_PROBE_SECONDS = 2.0


async def until_engine_answers(
    fn: Callable[[], T], what: str, call: Callable[[Callable[[], T]], Awaitable[T]] | None = None
) -> T:
    """`fn()` (in a thread), tried again every ENGINE_PROBE_SECONDS while the engine does not answer:
    an agent started while dockerd restarts, or on a VM that boots it before Docker, waits for it (as
    the ECS agent does) instead of exiting."""
    waited = 0.0
    while True:
        try:
            return await (call(fn) if call is not None else asyncio.to_thread(fn))
        except Exception as exc:
            if not unreachable(exc):
                raise  # a bug, or a refusal: waiting would not change it
            if waited % 30 < ENGINE_PROBE_SECONDS:  # at once, then every 30 s
                log.warning(
                    "the Docker Engine is not answering (%s); waiting for it to %s", one_line(exc, 200), what
                )
        await asyncio.sleep(ENGINE_PROBE_SECONDS)
        waited += ENGINE_PROBE_SECONDS


def unreachable(exc: BaseException) -> bool:
    """Whether an engine call failed for want of an answer: a connection error (OSError: requests'
    errors are ones) anywhere in its chain; the Docker client wraps the one it meets as it is made."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return False
        if getattr(seen, "response", None) is not None:
            return False  # an HTTP answer (the Docker client's APIError is an OSError): it did answer
        if isinstance(seen, OSError) and not isinstance(seen, PermissionError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
