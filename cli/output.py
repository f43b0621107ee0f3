"""How the CLI prints: tables and lines on stdout, failures and progress on stderr, one-line errors."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any, NoReturn

from google.protobuf.timestamp_pb2 import Timestamp
from rich.console import Console
from rich.table import Table

from shoal.v1 import ecs_pb2

# Wide consoles: piped output must not be wrapped mid-word.
err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 250)


def fail(message: str, code: int = 1) -> NoReturn:
    """Print `error: message` on stderr and exit (1: the request failed, 2: it was mistyped)."""
    err.print(f"error: {message}", markup=False)
    sys.exit(code)


def note(message: str) -> None:
    """One line on stderr (progress, warnings), never parsed as markup."""
    err.print(message, markup=False)


def short(arn: str) -> str:
    """The id at the end of an ARN."""
    return arn.rsplit("/", 1)[-1]


def ts(t: Timestamp) -> str:
    """A timestamp as local wall time, or - when unset."""
    return t.ToDatetime().strftime("%Y-%m-%d %H:%M:%S") if t.seconds else "-"


def print_table(columns: list[str], rows: list[list[Any]]) -> None:
    """Columns without borders, as `docker ps` prints them."""
    if not rows:
        return  # no header over nothing (failures, if any, follow on stderr)
    t = Table(show_edge=False, box=None, pad_edge=False)
    for c in columns:
        t.add_column(c, overflow="fold")
    for r in rows:
        t.add_row(*[str(x) for x in r])
    out.print(t)


def print_failures(failures: Iterable[ecs_pb2.Failure]) -> None:
    """ECS failures (unknown ARNs, placement that found no instance) with the filters' counts."""
    for f in failures:
        target = f" {short(f.arn)}" if f.arn else ""
        err.print(f"failure{target}: {f.reason}: {f.detail}", markup=False)
        if f.eliminated:
            parts = ", ".join(f"{k} eliminated {v}" for k, v in sorted(f.eliminated.items()))
            err.print(f"  filters: {parts}", markup=False)


def exit_on_failures(failures: Iterable[ecs_pb2.Failure]) -> None:
    """Print the failures; exit 1 if there were any (describe of something unknown)."""
    failures = list(failures)
    print_failures(failures)
    if failures:
        sys.exit(1)
