"""The manager's stream drain on a real gRPC server: open streams end at once with SHUTTING_DOWN (their
handlers' cleanup run), new ones are refused, unary calls are untouched, and the server's stop does not
wait out its grace."""

from __future__ import annotations

import asyncio

import grpc
from grpc_status import rpc_status

from shoal.manager.api.drain import StreamDrain
from tests.conftest import free_port

FOREVER = 3600.0


def _reason(exc: grpc.aio.AioRpcError) -> str:
    from google.rpc import error_details_pb2

    status = rpc_status.from_call(exc)
    assert status is not None, exc
    for detail in status.details:
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            return info.reason
    return ""


class Servicer:
    """One following stream, one bidirectional stream, one unary call (bytes in, bytes out)."""

    def __init__(self) -> None:
        self.cleaned_up: list[str] = []

    async def follow(self, request: bytes, context: grpc.aio.ServicerContext):
        try:
            yield b"first"
            await asyncio.sleep(FOREVER)  # a follow: nothing ends it but the caller or the drain
        finally:
            self.cleaned_up.append("follow")

    async def chat(self, requests, context: grpc.aio.ServicerContext):
        try:
            async for r in requests:
                yield r
        finally:
            self.cleaned_up.append("chat")

    async def ping(self, request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        return b"pong"

    def handler(self) -> grpc.GenericRpcHandler:
        return grpc.method_handlers_generic_handler(
            "t.T",
            {
                "Follow": grpc.unary_stream_rpc_method_handler(self.follow),
                "Chat": grpc.stream_stream_rpc_method_handler(self.chat),
                "Ping": grpc.unary_unary_rpc_method_handler(self.ping),
            },
        )


def test_drain_ends_open_streams_refuses_new_ones_and_lets_unary_calls_through() -> None:
    async def scenario() -> None:
        drain, servicer = StreamDrain(), Servicer()
        server = grpc.aio.server(interceptors=[drain])
        server.add_generic_rpc_handlers((servicer.handler(),))
        target = f"127.0.0.1:{free_port()}"
        server.add_insecure_port(target)
        await server.start()
        async with grpc.aio.insecure_channel(target) as ch:
            follow = ch.unary_stream("/t.T/Follow")(b"")
            chat = ch.stream_stream("/t.T/Chat")()
            await chat.write(b"hello")
            assert await follow.read() == b"first" and await chat.read() == b"hello"
            assert drain.open_streams() == 2

            assert drain.drain() == 2
            for call in (follow, chat):
                try:
                    await asyncio.wait_for(call.read(), 10)
                    raise AssertionError("the stream went on after the drain")
                except grpc.aio.AioRpcError as exc:
                    assert exc.code() == grpc.StatusCode.UNAVAILABLE, exc
                    assert "shutting down" in (exc.details() or "") and _reason(exc) == "SHUTTING_DOWN"
            assert sorted(servicer.cleaned_up) == ["chat", "follow"]
            assert drain.open_streams() == 0

            # A stream opened after the drain is refused at once; a unary call is served as ever.
            late = ch.unary_stream("/t.T/Follow")(b"")
            try:
                await asyncio.wait_for(late.read(), 10)
                raise AssertionError("a new stream was served after the drain")
            except grpc.aio.AioRpcError as exc:
                assert exc.code() == grpc.StatusCode.UNAVAILABLE and _reason(exc) == "SHUTTING_DOWN"
            assert await ch.unary_unary("/t.T/Ping")(b"", timeout=10) == b"pong"
        # Nothing is left for the grace to wait for (without the drain: the whole 60 s).
        await asyncio.wait_for(server.stop(grace=60), 10)

    asyncio.run(scenario())


def test_a_caller_that_goes_away_is_not_mistaken_for_a_drain() -> None:
    async def scenario() -> None:
        drain, servicer = StreamDrain(), Servicer()
        server = grpc.aio.server(interceptors=[drain])
        server.add_generic_rpc_handlers((servicer.handler(),))
        target = f"127.0.0.1:{free_port()}"
        server.add_insecure_port(target)
        await server.start()
        async with grpc.aio.insecure_channel(target) as ch:
            follow = ch.unary_stream("/t.T/Follow")(b"")
            assert await follow.read() == b"first"
            follow.cancel()
            for _ in range(100):
                if servicer.cleaned_up:
                    break
                await asyncio.sleep(0.05)
            assert servicer.cleaned_up == ["follow"] and drain.open_streams() == 0
            assert not drain.draining
        await server.stop(grace=None)

    asyncio.run(scenario())
