"""gRPC failures of the Shoal API turned into the ShoalError family, with the manager's field and reason."""

from __future__ import annotations

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from shoal.core import errors
from shoal.core.errors import ShoalError

# The reason of the Unavailable raised when no manager answered at all (the manager's own
# UNAVAILABLE, e.g. etcd being down, keeps the manager's reason and message).
UNREACHABLE = "MANAGER_UNREACHABLE"

_BY_CODE: dict[str, type[ShoalError]] = {
    cls.code: cls
    for cls in (
        errors.InvalidArgument,
        errors.NotFound,
        errors.AlreadyExists,
        errors.FailedPrecondition,
        errors.Unavailable,
        errors.Unauthenticated,
        errors.PermissionDenied,
        errors.Internal,
        errors.DeadlineExceeded,
        errors.ResourceExhausted,
        errors.Aborted,
        errors.Unimplemented,
        errors.Cancelled,
    )
}


def make_error(code: str, message: str, *, field: str = "", reason: str = "") -> ShoalError:
    """The ShoalError for a status code name, carrying the message exactly as given."""
    cls = _BY_CODE.get(code, ShoalError)
    # Subclass constructors compose their message (InvalidArgument prefixes the field); the
    # manager's message is already composed, so only the root initialiser runs.
    exc = cls.__new__(cls)
    ShoalError.__init__(exc, message, field=field, reason=reason)
    if cls is ShoalError:
        exc.code = code  # a status no subclass stands for (OUT_OF_RANGE, DATA_LOSS, ...)
    return exc


def _error_info(call: grpc.Call) -> error_details_pb2.ErrorInfo | None:
    try:
        status = rpc_status.from_call(call)
    except ValueError:  # a status detail that contradicts the call's code: ignore the detail
        return None
    if status is None:
        return None
    for detail in status.details:
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            return info
    return None


def _unreachable(endpoint: str, details: str, tls: bool) -> str:
    """Why no manager answered, with the fix for the usual TLS mistakes."""
    low = details.lower()
    if tls and "certificate_verify_failed" in low:
        return (
            f"the manager at {endpoint} presented a certificate this client does not trust: give its "
            "cluster CA with --ca-file or SHOAL_CA_FILE (the manager's DATA_DIR/ca.pem)"
        )
    if tls and ("handshake" in low or "wrong_version_number" in low or "ssl" in low):
        return (
            f"TLS with the manager at {endpoint} failed; if it runs with --insecure, pass --insecure "
            "(or SHOAL_INSECURE=1)"
        )
    return f"cannot reach the Shoal manager at {endpoint} (set --endpoint or SHOAL_ENDPOINT)"


def from_rpc_error(exc: grpc.RpcError, endpoint: str, *, tls: bool = False) -> ShoalError:
    """The ShoalError a failed call stands for; a manager nobody reached is named by its endpoint."""
    assert isinstance(exc, grpc.Call), "unary calls raise errors that are also grpc.Call"
    code = exc.code()
    name = code.name if code is not None else "UNKNOWN"
    info = _error_info(exc)
    message = exc.details() or name
    if info is None:
        if code == grpc.StatusCode.UNAVAILABLE:
            return make_error(name, _unreachable(endpoint, message, tls), reason=UNREACHABLE)
        return make_error(name, message)
    if code == grpc.StatusCode.UNAVAILABLE:
        message = f"the Shoal manager at {endpoint} is unavailable: {message}"
    return make_error(name, message, field=info.metadata.get("field", ""), reason=info.reason)
