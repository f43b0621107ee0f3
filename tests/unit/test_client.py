"""shoal.client: one method per RPC, and gRPC failures turned into the ShoalError family."""

from __future__ import annotations

import inspect
import re
import typing

import grpc
import pytest
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2

from shoal.client import UNREACHABLE, ShoalClient, from_rpc_error
from shoal.core import errors
from shoal.v1 import api_pb2


class FakeCall(grpc.RpcError, grpc.Call):
    """A failed unary call as grpc raises it: code, details and trailing metadata."""

    def __init__(self, code: grpc.StatusCode, details: str, status: status_pb2.Status | None = None) -> None:
        self._code, self._details = code, details
        self._trailers = (("grpc-status-details-bin", status.SerializeToString()),) if status else ()

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return self._details

    def trailing_metadata(self):
        return self._trailers

    def initial_metadata(self):
        return ()

    def is_active(self) -> bool:
        return False

    def time_remaining(self):
        return None

    def cancel(self) -> bool:
        return False

    def add_callback(self, callback) -> bool:
        return False


def from_manager(exc: errors.ShoalError) -> FakeCall:
    """The call a manager's handles_errors produces for exc."""
    status = exc.to_status()
    return FakeCall(
        grpc.StatusCode(next(c for c in grpc.StatusCode if c.value[0] == status.code)), exc.message, status
    )


def test_one_typed_method_per_rpc() -> None:
    hints_of = {
        name: typing.get_type_hints(fn) for name, fn in inspect.getmembers(ShoalClient, inspect.isfunction)
    }
    for m in api_pb2.DESCRIPTOR.services_by_name["Ecs"].methods:
        name = re.sub(r"(?<!^)(?=[A-Z])", "_", m.name).lower()
        assert name in hints_of, f"ShoalClient has no {name} for {m.name}"
        hints = hints_of[name]
        assert hints["return"].DESCRIPTOR.full_name == m.output_type.full_name
        assert m.input_type.full_name in str(hints["request"]).replace("shoal.v1.api_pb2.", "shoal.v1.")
        assert getattr(ShoalClient, name).__doc__, f"{name} has no docstring"


@pytest.mark.parametrize(
    "exc",
    [
        errors.InvalidArgument("containerDefinitions[0].memory", "must be greater than 5", reason="MEMORY"),
        errors.NotFound("task definition family 'ghost' not found"),
        errors.AlreadyExists("service web already exists", field="serviceName"),
        errors.FailedPrecondition("task definition old:1 is INACTIVE", reason="TASK_DEFINITION_INACTIVE"),
        errors.PermissionDenied("not allowed"),
        errors.Unauthenticated("no token"),
        errors.Internal("bug"),
        errors.DeadlineExceeded("too slow"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_manager_errors_keep_class_message_field_and_reason(exc: errors.ShoalError) -> None:
    got = from_rpc_error(from_manager(exc), "127.0.0.1:7700")
    assert type(got) is type(exc)
    assert (got.code, got.message, got.field, got.reason) == (exc.code, exc.message, exc.field, exc.reason)


def test_invalid_argument_message_is_not_prefixed_twice() -> None:
    exc = errors.InvalidArgument("count", "must be between 1 and 10, got 11")
    got = from_rpc_error(from_manager(exc), "m:1")
    assert got.message == "count: must be between 1 and 10, got 11" and got.field == "count"


def test_unreachable_manager_names_the_endpoint() -> None:
    got = from_rpc_error(
        FakeCall(grpc.StatusCode.UNAVAILABLE, "failed to connect to all addresses"), "10.0.0.9:7700"
    )
    assert isinstance(got, errors.Unavailable) and got.reason == UNREACHABLE
    assert got.message == "cannot reach the Shoal manager at 10.0.0.9:7700 (set --endpoint or SHOAL_ENDPOINT)"


def test_unavailable_from_the_manager_keeps_its_reason() -> None:
    got = from_rpc_error(from_manager(errors.Unavailable("etcd did not answer in time")), "m:1")
    assert isinstance(got, errors.Unavailable) and got.reason == "UNAVAILABLE"
    assert got.message == "the Shoal manager at m:1 is unavailable: etcd did not answer in time"


def test_status_without_error_info_keeps_code_and_details() -> None:
    got = from_rpc_error(
        FakeCall(grpc.StatusCode.INTERNAL, "internal error in RunTask; see the manager log"), "m:1"
    )
    assert isinstance(got, errors.Internal)
    assert got.message == "internal error in RunTask; see the manager log" and got.field == ""
    got = from_rpc_error(FakeCall(grpc.StatusCode.DEADLINE_EXCEEDED, "Deadline Exceeded"), "m:1")
    assert isinstance(got, errors.DeadlineExceeded) and got.code == "DEADLINE_EXCEEDED"


def test_code_without_a_class_is_a_plain_shoal_error_with_that_code() -> None:
    got = from_rpc_error(FakeCall(grpc.StatusCode.OUT_OF_RANGE, "past the end"), "m:1")
    assert type(got) is errors.ShoalError and got.code == "OUT_OF_RANGE" and got.message == "past the end"
    assert errors.ShoalError.code == "UNKNOWN"  # the class itself is untouched


def test_detail_contradicting_the_code_is_ignored() -> None:
    status = status_pb2.Status(code=code_pb2.NOT_FOUND, message="other")
    detail = any_pb2.Any()
    detail.Pack(error_details_pb2.ErrorInfo(reason="X"))
    status.details.append(detail)
    got = from_rpc_error(FakeCall(grpc.StatusCode.INVALID_ARGUMENT, "bad", status), "m:1")
    assert (
        isinstance(got, errors.InvalidArgument) and got.message == "bad" and got.reason == "INVALID_ARGUMENT"
    )


def test_call_to_nowhere_raises_unavailable_not_grpc_error() -> None:
    with ShoalClient("127.0.0.1:1", timeout=5) as ecs, pytest.raises(errors.Unavailable) as info:
        ecs.list_clusters()
    assert "127.0.0.1:1" in info.value.message and info.value.__cause__ is None
