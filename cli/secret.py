"""`shoal secret`: secrets for task definitions' `secrets` (put, get-metadata, list, delete, get-value)."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

import click

from shoal.cli._common import ctx_of
from shoal.cli.output import print_table, ts
from shoal.v1 import secrets_pb2


def _rows(items: Iterable[secrets_pb2.StoredSecret]) -> None:
    print_table(
        ["NAME", "VERSIONS", "LAST CHANGED", "CLUSTERS", "DESCRIPTION"],
        [
            [
                s.name,
                len(s.versions),
                ts(s.last_changed_at),
                ",".join(s.allowed_clusters),
                s.description or "-",
            ]
            for s in items
        ],
    )


def _opts(f):
    f = click.option("--output", type=click.Choice(["table", "json"]), default=None, help="table or json")(f)
    return click.option("--endpoint", default=None, help="manager HOST:PORT")(f)


@click.group("secret")
def secret() -> None:
    """Secrets for tasks: task definitions name them in `secrets[].valueFrom`."""


@secret.command("put")
@click.argument("name")
@click.option("--value", default=None, help="the value (visible in your shell history: prefer a file)")
@click.option("--value-file", type=click.Path(exists=True, dir_okay=False), default=None)
@click.option("--from-stdin", is_flag=True, help="read the value from standard input")
@click.option("--description", default="")
@click.option(
    "--allowed-cluster",
    "allowed",
    multiple=True,
    help="a cluster whose tasks may use the secret (repeatable; '*': every cluster); "
    "required for a new secret, kept when omitted on an update",
)
@_opts
def put(
    name: str,
    value: str | None,
    value_file: str | None,
    from_stdin: bool,
    description: str,
    allowed: tuple[str, ...],
    endpoint: str | None,
    output: str | None,
) -> None:
    """Store a new version of a secret (the last few versions are kept)."""
    if sum(x is not None and x is not False for x in (value, value_file, from_stdin or None)) != 1:
        raise click.UsageError("give exactly one of --value, --value-file, --from-stdin")
    if value_file:
        value = Path(value_file).read_text().rstrip("\n")
    elif from_stdin:
        value = sys.stdin.read().rstrip("\n")
    c = ctx_of(endpoint, None, output)
    resp = c.client.put_secret(
        secrets_pb2.PutSecretRequest(
            name=name, value=value or "", description=description, allowed_clusters=list(allowed)
        )
    )
    c.emit(resp, lambda: click.echo(f"secret {resp.secret.name} version {resp.version_id} stored"))


@secret.command("get-metadata")
@click.argument("name")
@_opts
def get_metadata(name: str, endpoint: str | None, output: str | None) -> None:
    """A secret's description and versions; never its value."""
    c = ctx_of(endpoint, None, output)
    resp = c.client.describe_secret(secrets_pb2.DescribeSecretRequest(name=name))

    def text() -> None:
        s = resp.secret
        click.echo(f"{s.name}  {s.arn}  {s.description or ''}".rstrip())
        print_table(
            ["VERSION", "CREATED", "STAGES"],
            [[v.version_id, ts(v.created_at), ",".join(v.stages) or "-"] for v in s.versions],
        )

    c.emit(resp, text)


@secret.command("list")
@_opts
def list_(endpoint: str | None, output: str | None) -> None:
    """Every secret's name, versions and description."""
    c = ctx_of(endpoint, None, output)
    resp = c.client.list_secrets()
    c.emit(resp, lambda: _rows(resp.secrets))


@secret.command("delete")
@click.argument("name")
@_opts
def delete(name: str, endpoint: str | None, output: str | None) -> None:
    """Delete a secret and every version of it (tasks started later cannot resolve it)."""
    c = ctx_of(endpoint, None, output)
    resp = c.client.delete_secret(secrets_pb2.DeleteSecretRequest(name=name))
    c.emit(resp, lambda: click.echo(f"secret {resp.secret.name} deleted"))


@secret.command("get-value")
@click.argument("name")
@click.option("--version-id", default="")
@_opts
def get_value(name: str, version_id: str, endpoint: str | None, output: str | None) -> None:
    """Print a secret's value (admin keys only; the manager logs the read, not the value)."""
    c = ctx_of(endpoint, None, output)
    resp = c.client.get_secret_value(secrets_pb2.GetSecretValueRequest(name=name, version_id=version_id))
    c.emit(resp, lambda: click.echo(resp.value))
