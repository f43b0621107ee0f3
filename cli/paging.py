"""List calls paged through as aws-cli pages them (--max-items, --page-size, --starting-token)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import click
from google.protobuf.message import Message

from shoal.core.errors import InvalidArgument

_F = TypeVar("_F", bound=Callable[..., Any])
_R = TypeVar("_R", bound=Message)
MAX_PAGE = 1000  # the API's largest maxResults
# The API's per-call limits (ECS's): a command given more arguments calls once per batch.
DESCRIBE_TASKS = 100
DESCRIBE_CONTAINER_INSTANCES = 100
DESCRIBE_CLUSTERS = 100
DESCRIBE_SERVICES = 10


def paging_options(f: _F) -> _F:
    """aws-cli's pagination options; without them a list returns every result."""
    f = click.option(
        "--starting-token", default=None, help="the NextToken printed by an earlier, truncated listing"
    )(f)
    f = click.option(
        "--page-size",
        type=click.IntRange(1, MAX_PAGE),
        default=None,
        help="results per call (default 1000)",
    )(f)
    f = click.option(
        "--max-items", type=click.IntRange(1), default=None, help="stop after this many; prints a NextToken"
    )(f)
    return f


def _decode(token: str | None) -> tuple[str, int]:
    if not token:
        return "", 0
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        return str(data["next"]), int(data["skip"])
    except (ValueError, KeyError, TypeError):
        raise InvalidArgument("startingToken", "is not a NextToken printed by an earlier listing") from None


def _encode(next_token: str, skip: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"next": next_token, "skip": skip}).encode()).decode()


def paginate(
    call: Callable[[Any], _R],
    request: Message,
    field: str,
    *,
    max_items: int | None = None,
    page_size: int | None = None,
    starting_token: str | None = None,
) -> _R:
    """Every page of a List call merged into one response, as aws-cli prints it: up to max_items
    results, and a NextToken (`next_token`) to resume from when it stopped early."""
    server_token, skip = _decode(starting_token)
    merged: list[Any] = []  # ARNs, family names or Attribute messages
    last: _R | None = None
    while True:
        req = type(request)()
        req.CopyFrom(request)
        req.max_results = page_size or MAX_PAGE  # type: ignore[attr-defined]
        req.next_token = server_token  # type: ignore[attr-defined]
        last = call(req)
        page = list(getattr(last, field))[skip:]
        if max_items is not None and len(merged) + len(page) >= max_items:
            room = max_items - len(merged)
            merged.extend(page[:room])
            more = room < len(page) or bool(last.next_token)  # type: ignore[attr-defined]
            # Resume inside this page (skip what was printed) or at the next one.
            resume = _encode(server_token, skip + room) if room < len(page) else _encode(last.next_token, 0)  # type: ignore[attr-defined]
            return _merged(last, field, merged, resume if more else "")
        merged.extend(page)
        skip = 0
        server_token = last.next_token  # type: ignore[attr-defined]
        if not server_token:
            return _merged(last, field, merged, "")


def _merged(resp: _R, field: str, items: list[Any], next_token: str) -> _R:
    out = type(resp)()
    out.CopyFrom(resp)
    del getattr(out, field)[:]
    getattr(out, field).extend(items)
    out.next_token = next_token  # type: ignore[attr-defined]
    return out


def in_batches(items: Sequence[str], size: int) -> list[list[str]]:
    """Arguments cut to an API's per-call limit (DescribeContainerInstances 100, DescribeTasks 100, ...)."""
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def describe_batched(call: Callable[[list[str]], _R], refs: Sequence[str], size: int) -> _R:
    """One Describe call per `size` arguments, the responses merged (their lists concatenated).
    No arguments still makes one call, so that the API says what is missing."""
    if not refs:
        return call([])
    out: _R | None = None
    for batch in in_batches(refs, size):
        part = call(batch)
        if out is None:
            out = part
        else:
            out.MergeFrom(part)
    assert out is not None
    return out


def echo_listing(lines: Iterable[str], next_token: str) -> None:
    """A listing's table output: one line per result in a single write (thousands of lines stay fast),
    then the NextToken on stderr when --max-items cut it short (stdout stays the results only)."""
    text = "\n".join(lines)
    if text:
        click.echo(text)
    if next_token:
        click.echo(f"NextToken: {next_token}", err=True)
