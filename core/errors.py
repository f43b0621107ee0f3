"""One root error for user-facing failures; each maps to one gRPC status with a machine-readable reason."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2

DOMAIN = "shoal.dev"
# gRPC carries the message in a header (8 KiB by default, for all headers): a longer one would turn a
# clear INVALID_ARGUMENT into RESOURCE_EXHAUSTED with the field lost.
MAX_MESSAGE_CHARS = 1500


def quote(value: object, limit: int = 64) -> str:
    """A value for an error message: its ASCII repr, cut to a short prefix (never echoed whole)."""
    text = ascii(value)  # ASCII: percent-encoding in the status header never multiplies its size
    if len(text) <= limit:
        return text
    size = f"{len(value)} characters" if isinstance(value, str | bytes) else "long"
    return f"{text[:limit]}... ({size})"


def clip(message: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """A message cut to what fits in a status header (counted in UTF-8 bytes)."""
    data = message.encode()
    if len(data) <= limit:
        return message
    return data[: limit - 3].decode(errors="ignore") + "…"


def one_line(exc: BaseException, limit: int = 300) -> str:
    """An exception for a log line or a reason: its first line, cut short (the Docker client's errors
    carry the engine's own words in `explanation`)."""
    text = str(getattr(exc, "explanation", None) or exc).strip().splitlines()
    return text[0][:limit] if text else type(exc).__name__


class ShoalError(Exception):
    """A failure the caller can act on; never a bug."""

    code = "UNKNOWN"  # the gRPC status code name
    default_reason = "UNKNOWN"

    def __init__(self, message: str, *, field: str = "", reason: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.reason = reason or self.default_reason

    def to_status(self) -> status_pb2.Status:
        """The google.rpc.Status carrying an ErrorInfo with reason and field."""
        info = error_details_pb2.ErrorInfo(reason=self.reason, domain=DOMAIN)
        if self.field:
            info.metadata["field"] = clip(self.field, 256)
        problems = getattr(self, "problems", [])
        if len(problems) > 1:
            info.metadata["fields"] = clip(",".join(p.field for p in problems), 1000)
        detail = any_pb2.Any()
        detail.Pack(info)
        return status_pb2.Status(
            code=getattr(code_pb2, self.code), message=clip(self.message), details=[detail]
        )


class InvalidArgument(ShoalError):
    code = "INVALID_ARGUMENT"
    default_reason = "INVALID_ARGUMENT"

    def __init__(self, field: str, problem: str, *, reason: str = "") -> None:
        super().__init__(f"{field}: {problem}" if field else problem, field=field, reason=reason)
        self.problems: list[InvalidArgument] = [self]  # several when a document had several


class NotFound(ShoalError):
    code = "NOT_FOUND"
    default_reason = "NOT_FOUND"


class AlreadyExists(ShoalError):
    code = "ALREADY_EXISTS"
    default_reason = "ALREADY_EXISTS"


class FailedPrecondition(ShoalError):
    code = "FAILED_PRECONDITION"
    default_reason = "FAILED_PRECONDITION"


class Unavailable(ShoalError):
    code = "UNAVAILABLE"
    default_reason = "UNAVAILABLE"


class Unauthenticated(ShoalError):
    code = "UNAUTHENTICATED"
    default_reason = "UNAUTHENTICATED"


class PermissionDenied(ShoalError):
    code = "PERMISSION_DENIED"
    default_reason = "PERMISSION_DENIED"


class Internal(ShoalError):
    code = "INTERNAL"
    default_reason = "INTERNAL"


class DeadlineExceeded(ShoalError):
    code = "DEADLINE_EXCEEDED"
    default_reason = "DEADLINE_EXCEEDED"


class ResourceExhausted(ShoalError):
    code = "RESOURCE_EXHAUSTED"
    default_reason = "RESOURCE_EXHAUSTED"


class Aborted(ShoalError):
    code = "ABORTED"
    default_reason = "ABORTED"


class Unimplemented(ShoalError):
    code = "UNIMPLEMENTED"
    default_reason = "UNIMPLEMENTED"


class Cancelled(ShoalError):
    code = "CANCELLED"
    default_reason = "CANCELLED"


class Problems:
    """Collects a document's InvalidArgument problems so that all of them are reported at once."""

    def __init__(self) -> None:
        self.found: list[InvalidArgument] = []

    @contextlib.contextmanager
    def check(self) -> Iterator[None]:
        """Run one independent check; a problem it raises is recorded and validation goes on."""
        try:
            yield
        except InvalidArgument as exc:
            self.found.append(exc)

    def raise_if_any(self) -> None:
        if len(self.found) == 1:
            raise self.found[0]
        if self.found:
            first = self.found[0]
            err = InvalidArgument(
                "", f"{len(self.found)} problems: " + "; ".join(p.message for p in self.found)
            )
            err.field, err.reason = first.field, first.reason
            err.problems = list(self.found)
            raise err
