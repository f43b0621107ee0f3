"""What every command shares: the context (endpoint, cluster, output, client), common flags, JSON input."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from google.protobuf import json_format
from google.protobuf.message import Message

from shoal.cli.output import fail, note
from shoal.client import ShoalClient
from shoal.client.ecsjson import parse, parse_list, to_json
from shoal.v1 import api_pb2, ecs_pb2

_M = TypeVar("_M", bound=Message)
_F = TypeVar("_F", bound=Callable[..., Any])


class Ctx:
    """The root options as the subcommand finally sees them, and the client they select."""

    def __init__(
        self,
        endpoint: str,
        cluster: str,
        output: str,
        ca_file: str | None = None,
        insecure: bool = False,
        api_key: str | None = None,
        profile: str | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.api_key = api_key
        self.profile = profile
        self.cluster = cluster
        self.output = output
        self.ca_file = ca_file
        self.insecure = insecure
        self._client: ShoalClient | None = None

    @property
    def client(self) -> ShoalClient:
        # Built on first use: a subcommand's --endpoint may still change the endpoint before then.
        if self._client is None:
            self._client = ShoalClient(
                self.endpoint, ca_file=self.ca_file, insecure=self.insecure, api_key=self.api_key
            )
        return self._client

    def emit(self, response: Message, table: Callable[[], object]) -> None:
        """The response as ECS JSON (--output json) or as the command's table."""
        if self.output == "json":
            click.echo(to_json(response))
        else:
            table()


def common(f: _F) -> _F:
    """Let --endpoint/--cluster/--output also follow the subcommand, as aws-cli users type them."""
    f = click.option("--output", type=click.Choice(["table", "json"]), default=None, help="table or json")(f)
    f = click.option("--cluster", default=None, help="cluster name or ARN")(f)
    return click.option("--endpoint", default=None, help="manager HOST:PORT")(f)


def ctx_of(endpoint: str | None, cluster: str | None, output: str | None) -> Ctx:
    """The context, with the options given after the subcommand taking precedence."""
    c: Ctx = click.get_current_context().obj
    if endpoint:
        c.endpoint = endpoint
    if cluster:
        c.cluster = cluster
    if output:
        c.output = output
    return c


def one_of(positional: str | None, flag: str | None, argument: str, option: str) -> str:
    """The value given either way (positional, or the aws-cli option name)."""
    if positional and flag and positional != flag:
        raise click.UsageError(f"give {argument} or {option}, not both")
    value = positional or flag
    if not value:
        raise click.UsageError(f"missing {argument} (or {option})")
    return value


def some_of(
    positional: tuple[str, ...], flag: tuple[str, ...], argument: str, option: str
) -> tuple[str, ...]:
    """The values given either way; the aws-cli option may also be comma-separated."""
    values = (*positional, *(v for f in flag for v in f.split(",") if v))
    if not values:
        raise click.UsageError(f"missing {argument}… (or {option})")
    return values


def _read(path: Path, what: str) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        fail(f"cannot read {what} file {str(path)[:200]}: {exc.strerror}", 2)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        fail(f"{what} file {str(path)[:200]} is not UTF-8 (byte {exc.start} is {data[exc.start]:#04x})", 2)


def _is_file(value: str) -> bool:
    try:
        return Path(value).is_file()
    except (OSError, ValueError):  # too long for a path, or a NUL in it: it is not one
        return False


def _no_duplicates(what: str) -> Callable[[list[tuple[str, Any]]], dict[str, Any]]:
    """An object_pairs_hook: JSON allows a key twice and keeps the last; say so rather than drop one."""

    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                note(f"warning: {what}: key {json.dumps(key)[:80]} is given twice; the last one is used")
            out[key] = value
        return out

    return hook


def load_json_arg(value: str, what: str) -> Any:
    """JSON given inline, as file://path, or as a path; unreadable or invalid JSON is a usage error."""
    text = value
    if value.startswith("file://"):
        text = _read(Path(value[len("file://") :]), what)
    elif not value.lstrip().startswith(("{", "[")) and _is_file(value):
        text = _read(Path(value), what)
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates(what))
    except json.JSONDecodeError as exc:
        fail(f"{what} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", 2)
    except RecursionError:
        fail(f"{what} is nested too deeply to be a request", 2)


def json_list(value: str | None, what: str) -> list[Any]:
    """A JSON list option (one object alone counts as a list of one)."""
    if not value:
        return []
    data = load_json_arg(value, what)
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        fail(f"{what} must be a JSON list of objects", 2)
    return data


def parse_into(data: Any, msg: _M, what: str, path: str = "") -> _M:
    """Fill msg from ECS JSON. Unknown fields raise UnknownFields (exit 1, as the API's own
    INVALID_ARGUMENT does); a value protobuf cannot take is a usage error, as before."""
    if not isinstance(data, dict):
        fail(f"{what} must be a JSON object", 2)  # ParseDict would take [] as an empty message
    try:
        return parse(data, msg, path)
    except json_format.ParseError as exc:
        fail(f"{what}: {str(exc).splitlines()[0][:300]}", 2)
    except RecursionError:
        fail(f"{what} is nested too deeply to be a request", 2)


def parse_items(data: list[Any], cls: type[_M], what: str, path: str) -> list[_M]:
    """parse_into for each item of a JSON list, with all unknown fields reported at once."""
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        fail(f"{what} must be a JSON list of objects", 2)
    try:
        return parse_list(data, cls, path)
    except json_format.ParseError as exc:
        fail(f"{what}: {str(exc).splitlines()[0][:300]}", 2)
    except RecursionError:
        fail(f"{what} is nested too deeply to be a request", 2)


def add_placement(
    strategy: str | None,
    constraints: str | None,
    req: api_pb2.RunTaskRequest | api_pb2.CreateServiceRequest | api_pb2.UpdateServiceRequest,
) -> None:
    """--placement-strategy and --placement-constraints (JSON lists) into a request."""
    req.placement_strategy.extend(
        parse_items(
            json_list(strategy, "--placement-strategy"),
            ecs_pb2.PlacementStrategy,
            "--placement-strategy",
            "placementStrategy",
        )
    )
    req.placement_constraints.extend(
        parse_items(
            json_list(constraints, "--placement-constraints"),
            ecs_pb2.PlacementConstraint,
            "--placement-constraints",
            "placementConstraints",
        )
    )
