"""ShoalError to gRPC status (with its google.rpc.ErrorInfo); anything else is a bug, logged once."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

import grpc
from grpc_status import rpc_status

from shoal.core.errors import InvalidArgument, ShoalError

log = logging.getLogger(__name__)


def _too_large(exc: Exception) -> bool:
    if not isinstance(exc, grpc.RpcError):
        return False
    code = getattr(exc, "code", None)
    details = getattr(exc, "details", None)
    return (
        callable(code)
        and code() == grpc.StatusCode.INVALID_ARGUMENT
        and callable(details)
        and "request is too large" in (details() or "")
    )


def handles_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn ShoalError into its status; anything else is a bug and is logged with its traceback."""

    @functools.wraps(fn)
    async def wrapper(self: Any, request: Any, context: grpc.aio.ServicerContext) -> Any:
        try:
            return await fn(self, request, context)
        except ShoalError as exc:
            await context.abort_with_status(rpc_status.to_status(exc.to_status()))
        except Exception as exc:
            if _too_large(exc):
                # etcd's own refusal of a write over its size limit, as the store's gRPC error.
                err = InvalidArgument(
                    "request", "would write more than etcd accepts in one request (1.5 MiB); make it smaller"
                )
                await context.abort_with_status(rpc_status.to_status(err.to_status()))
            log.exception("internal error in %s", fn.__name__)
            await context.abort(
                grpc.StatusCode.INTERNAL, f"internal error in {fn.__name__}; see the manager log"
            )

    return wrapper
