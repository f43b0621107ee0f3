"""Ending open response streams when the manager shuts down.

gRPC's `server.stop(grace)` refuses new calls and waits out the grace for the ones in flight, but a
stream that follows (events, logs, exec, an agent session, a health watch) never finishes on its own:
every shutdown would wait the whole grace and then cut them off without a word. The drain ends them at
once with UNAVAILABLE and the reason SHUTTING_DOWN, so callers know to reconnect (to another replica,
or to this one once it is back), and unary calls still get the grace to finish.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
from grpc_status import rpc_status

from shoal.core.errors import Unavailable

log = logging.getLogger(__name__)


def shutting_down() -> Unavailable:
    return Unavailable(
        "the manager is shutting down; retry (another replica, or this one once it is back)",
        reason="SHUTTING_DOWN",
    )


async def stream_items(result: Any) -> AsyncIterator[Any]:
    """Stream handlers may be async generators or return an awaitable iterator (reflection's is sync)."""
    if hasattr(result, "__aiter__"):
        async for item in result:
            yield item
    elif hasattr(result, "__await__"):
        out = await result
        if out is not None:
            for item in out:
                yield item
    else:
        for item in result:
            yield item


class StreamDrain(grpc.aio.ServerInterceptor):
    """Tracks the tasks serving response streams; `drain()` refuses new ones and ends the open ones."""

    def __init__(self) -> None:
        self._open: set[asyncio.Task] = set()
        self._ended: set[asyncio.Task] = set()
        self.draining = False

    def open_streams(self) -> int:
        return len(self._open)

    def drain(self) -> int:
        """End every open stream (each aborts with SHUTTING_DOWN); returns how many there were."""
        self.draining = True
        for task in list(self._open):
            if not task.done():
                self._ended.add(task)
                task.cancel()
        return len(self._ended)

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(details)
        if handler is None:
            return handler
        if handler.unary_stream is not None:
            return grpc.unary_stream_rpc_method_handler(
                self._guard(handler.unary_stream), handler.request_deserializer, handler.response_serializer
            )
        if handler.stream_stream is not None:
            return grpc.stream_stream_rpc_method_handler(
                self._guard(handler.stream_stream), handler.request_deserializer, handler.response_serializer
            )
        return handler

    def _guard(self, inner: Callable[[Any, grpc.aio.ServicerContext], Any]) -> Callable[..., Any]:
        async def guarded(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            if self.draining:
                await context.abort_with_status(rpc_status.to_status(shutting_down().to_status()))
                return
            me = asyncio.current_task()
            assert me is not None
            self._open.add(me)
            try:
                async for item in stream_items(inner(request, context)):
                    yield item
            except asyncio.CancelledError:
                if me not in self._ended:
                    raise  # the caller went away: gRPC's own cancellation
                # Our drain: the handler has run its cleanup (finally blocks); now say why it ended.
                me.uncancel()
                await context.abort_with_status(rpc_status.to_status(shutting_down().to_status()))
            finally:
                self._open.discard(me)
                self._ended.discard(me)

        return guarded
