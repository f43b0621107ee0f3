"""ShoalError to gRPC status (with its google.rpc.ErrorInfo); anything else is a bug, logged once."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

import grpc
from grpc_status import rpc_status

from shoal.core.errors import ShoalError

log = logging.getLogger(__name__)


def handles_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn ShoalError into its status; anything else is a bug and is logged with its traceback."""

    @functools.wraps(fn)
    async def wrapper(self: Any, request: Any, context: grpc.aio.ServicerContext) -> Any:
        try:
            return await fn(self, request, context)
        except ShoalError as exc:
            await context.abort_with_status(rpc_status.to_status(exc.to_status()))
        except Exception:
            log.exception("internal error in %s", fn.__name__)
            await context.abort(
                grpc.StatusCode.INTERNAL, f"internal error in {fn.__name__}; see the manager log"
            )

    return wrapper
