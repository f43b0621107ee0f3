"""The ECS endpoint (`--ecs-listen`): AWS JSON 1.1 over HTTP/1.1 and TLS, SigV4-authenticated, on the
manager's event loop; each action runs the gRPC servicer's own code, so both APIs validate alike."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import ssl
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import h11
from google.protobuf.message import Message

from shoal.core import arns, clock
from shoal.core.errors import ShoalError
from shoal.manager.actions.api_keys import ApiKeys, Principal
from shoal.manager.api.auth import authorize, caller
from shoal.manager.api.ecs import EcsServicer
from shoal.manager.api.scaling import ScalingServicer
from shoal.manager.ecs_http import autoscaling, sigv4
from shoal.manager.ecs_http.mapping import (
    CONTENT_TYPE,
    AwsError,
    action_of,
    aws_error,
    decode_request,
    encode_response,
    grpc_method,
)
from shoal.manager.http_connections import end_connections

log = logging.getLogger(__name__)

MAX_BODY = 16 * 1024 * 1024  # as the gRPC API's largest request
IDLE_SECONDS = 120  # a keep-alive connection with nothing to say is closed after this
# The region in every ARN Shoal issues (arn:shoal:ecs:local:…): clients sign for it, as a client of ECS
# signs for the region whose endpoint it calls. Any other region is refused as AWS refuses it.
REGIONS = (arns.REGION,)
SERVICE = "ecs"

Dispatch = Callable[[str, Message], Awaitable[Message]]


def servicer_dispatch(servicer: EcsServicer | ScalingServicer) -> Dispatch:
    """Runs the gRPC handler of the action itself (unwrapped: its ShoalErrors reach us as exceptions)."""

    async def run(action: str, request: Message) -> Message:
        handler = getattr(type(servicer), action).__wrapped__
        return await handler(servicer, request, None)  # these handlers never use their gRPC context

    return run


class EcsEndpoint:
    """One request in, (HTTP status, JSON body) out: authenticate, decode, authorize, run, encode.
    ECS's actions and, with `scaling`, Application Auto Scaling's (told apart by X-Amz-Target)."""

    def __init__(self, dispatch: Dispatch, keys: ApiKeys | None, scaling: Dispatch | None = None) -> None:
        self.dispatch = dispatch
        self.scaling = scaling
        self.keys = keys  # None: --insecure, no key is checked (as on the gRPC API)

    async def handle(self, req: sigv4.RawRequest) -> tuple[int, dict[str, Any]]:
        action = "-"
        who: Principal | None = None
        scaling = self.scaling is not None and (req.header("x-amz-target") or "").startswith(
            autoscaling.TARGET_PREFIX
        )
        try:
            if req.method != "POST" or req.target.partition("?")[0] != "/":
                raise AwsError(
                    "UnknownOperationException", "ECS actions are POST / with an X-Amz-Target", 404
                )
            if scaling:
                return await self._scaling(req)
            who = await self._authenticate(req)
            action = action_of(req.header("x-amz-target"))
            request = decode_request(action, req.body)
            if who is not None:
                authorize(who, grpc_method(action), request)
            reset = caller.set(who)
            try:
                response = await self.dispatch(action, request)
            finally:
                caller.reset(reset)
            status, body = 200, encode_response(response)
        except AwsError as exc:
            status, body = exc.status, exc.body()
        except sigv4.SigV4Error as exc:
            status, body = 400, {"__type": exc.type, "message": exc.message}
        except ShoalError as exc:
            err = aws_error(exc)
            status, body = err.status, err.body()
        except Exception:
            log.exception("internal error in ECS action %s", action)
            err = AwsError("ServerException", f"internal error in {action}; see the manager log", 500)
            status, body = err.status, err.body()
        # Never the Authorization header or the body: they carry signatures and secrets.
        log.debug(
            "ECS %s by %s: %s %s", action, who.key.name if who else "-", status, body.get("__type", "ok")
        )
        return status, body

    async def _scaling(self, req: sigv4.RawRequest) -> tuple[int, dict[str, Any]]:
        """An Application Auto Scaling action: its own target, SigV4 service name and error names."""
        assert self.scaling is not None
        action = "-"
        who: Principal | None = None
        try:
            who = await self._authenticate(req, autoscaling.SIGV4_SERVICE)
            action = autoscaling.action_of(req.header("x-amz-target"))
            requests = autoscaling.decode_request(action, req.body)
            if who is not None:
                for request in requests:
                    authorize(who, autoscaling.grpc_method(action), request)
            reset = caller.set(who)
            try:
                responses = [await self.scaling(action, request) for request in requests]
            finally:
                caller.reset(reset)
            status, body = 200, autoscaling.encode_response(action, responses)
        except AwsError as exc:
            status, body = exc.status, exc.body()
        except sigv4.SigV4Error as exc:
            status, body = 400, {"__type": exc.type, "message": exc.message}
        except ShoalError as exc:
            err = autoscaling.aws_error(exc)
            status, body = err.status, err.body()
        except Exception:
            log.exception("internal error in Application Auto Scaling action %s", action)
            err = AwsError(
                "InternalServiceException", f"internal error in {action}; see the manager log", 500
            )
            status, body = err.status, err.body()
        log.debug(
            "AutoScaling %s by %s: %s %s",
            action,
            who.key.name if who else "-",
            status,
            body.get("__type", "ok"),
        )
        return status, body

    async def _authenticate(self, req: sigv4.RawRequest, service: str = SERVICE) -> Principal | None:
        if self.keys is None:
            return None
        claim = sigv4.parse(req, now=clock.now(), regions=REGIONS, service=service)
        who, secret = await self.keys.aws_secret(claim.access_key_id)
        sigv4.verify(req, claim, secret)
        return who


class EcsHttpServer:
    """HTTP/1.1 with keep-alive (h11) on asyncio streams; one request at a time per connection."""

    def __init__(self, endpoint: EcsEndpoint) -> None:
        self.endpoint = endpoint
        self.server: asyncio.Server | None = None
        self._connections: dict[asyncio.Task[None], asyncio.StreamWriter] = {}

    async def start(self, listen: str, tls: ssl.SSLContext | None) -> None:
        host, _, port = listen.rpartition(":")
        self.server = await asyncio.start_server(
            self._connection, host.strip("[]") or None, int(port), ssl=tls, limit=1 << 16
        )

    async def close(self) -> None:
        """Stop listening and end open connections (keep-alive clients would hold them for minutes)."""
        if self.server is not None:
            self.server.close()
        await end_connections(self._connections)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections[task] = writer
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=64 * 1024)
        try:
            while True:
                event = await _next_event(conn, reader)
                if not isinstance(event, h11.Request):
                    return  # ConnectionClosed, or the peer went quiet
                body = bytearray()
                while True:
                    part = await _next_event(conn, reader)
                    if isinstance(part, h11.Data):
                        body += part.data
                        if len(body) > MAX_BODY:
                            err = AwsError(
                                "SerializationException", f"the request body exceeds {MAX_BODY} bytes", 413
                            )
                            await _send(conn, writer, err.status, err.body(), close=True)
                            return
                    elif isinstance(part, h11.EndOfMessage):
                        break
                    else:
                        return
                req = sigv4.RawRequest(
                    method=event.method.decode("latin-1"),
                    target=event.target.decode("latin-1"),
                    headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in event.headers],
                    body=bytes(body),
                )
                status, payload = await self.endpoint.handle(req)
                await _send(conn, writer, status, payload)
                if conn.our_state is h11.MUST_CLOSE or conn.their_state is h11.MUST_CLOSE:
                    return
                conn.start_next_cycle()
        except h11.RemoteProtocolError as exc:
            if conn.our_state in (h11.IDLE, h11.SEND_RESPONSE):
                err = AwsError("SerializationException", f"malformed HTTP request: {exc}")
                with contextlib.suppress(Exception):
                    await _send(conn, writer, exc.error_status_hint, err.body(), close=True)
        except (ConnectionError, TimeoutError, ssl.SSLError, h11.LocalProtocolError):
            pass
        finally:
            self._connections.pop(task, None)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


async def _next_event(conn: h11.Connection, reader: asyncio.StreamReader) -> Any:
    while True:
        event = conn.next_event()
        if event is not h11.NEED_DATA:
            return event
        data = await asyncio.wait_for(reader.read(1 << 16), IDLE_SECONDS)
        conn.receive_data(data)  # b"" is the end of the stream: h11 turns it into ConnectionClosed


async def _send(
    conn: h11.Connection, writer: asyncio.StreamWriter, status: int, body: dict[str, Any], close: bool = False
) -> None:
    data = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    headers = [
        ("Content-Type", CONTENT_TYPE),
        ("Content-Length", str(len(data))),
        ("x-amzn-RequestId", str(uuid.uuid4())),
    ]
    if close:
        headers.append(("Connection", "close"))
    writer.write(conn.send(h11.Response(status_code=status, headers=headers)))
    writer.write(conn.send(h11.Data(data=data)))
    writer.write(conn.send(h11.EndOfMessage()))
    await writer.drain()


def tls_context(cert_chain_pem: bytes, key_pem: bytes) -> ssl.SSLContext:
    """Server TLS with the manager's serving certificate (the ssl module loads chains from files only)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    with tempfile.TemporaryDirectory(prefix="shoal-ecs-tls-") as tmp:  # mode 0700: the key stays private
        cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
        with open(cert, "wb") as f:
            f.write(cert_chain_pem)
        fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(key_pem)
        ctx.load_cert_chain(cert, key)
    return ctx


async def start(
    listen: str,
    servicer: EcsServicer,
    keys: ApiKeys | None,
    tls: tuple[bytes, bytes] | None,
    *,
    required: bool,
    scaling: ScalingServicer | None = None,
) -> EcsHttpServer | None:
    """The ECS endpoint on `listen`; `tls` is (certificate chain, key), None with --insecure. A default
    address that is taken is logged and skipped (`required=False`); one given explicitly is fatal."""
    scaling_dispatch = servicer_dispatch(scaling) if scaling is not None else None
    server = EcsHttpServer(EcsEndpoint(servicer_dispatch(servicer), keys, scaling_dispatch))
    try:
        await server.start(listen, tls_context(*tls) if tls else None)
    except (OSError, ValueError) as exc:
        if required:
            raise SystemExit(f"shoal-manager: cannot listen on {listen} (--ecs-listen): {exc}") from None
        log.warning("ECS endpoint not started: cannot listen on %s (%s); give --ecs-listen", listen, exc)
        return None
    log.info("ECS API (AWS JSON 1.1, %s) on %s", "SigV4 over TLS" if tls else "plaintext, no keys", listen)
    return server
