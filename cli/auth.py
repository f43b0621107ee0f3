"""`shoal configure`, `shoal whoami` and `shoal auth`: profiles and API keys (create, list, revoke)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import click

from shoal.cli import profiles
from shoal.cli._common import ctx_of
from shoal.cli.output import fail, print_table, ts
from shoal.cli.token import parse_duration
from shoal.v1 import auth_pb2

ROLES = ("admin", "operator", "read-only")


def _rows(keys: Iterable[auth_pb2.ApiKey]) -> None:
    print_table(
        ["ID", "NAME", "ROLE", "CLUSTER", "STATUS", "EXPIRES", "CREATED", "CREATED BY", "AWS ACCESS KEY ID"],
        [
            [
                k.id,
                k.name,
                k.role,
                k.cluster or "*",
                k.status,
                ts(k.expires_at) if k.HasField("expires_at") else "never",
                ts(k.created_at),
                k.created_by or "-",
                k.aws_access_key_id or "-",
            ]
            for k in keys
        ],
    )


def _endpoint_output(f):
    f = click.option("--output", type=click.Choice(["table", "json"]), default=None, help="table or json")(f)
    return click.option("--endpoint", default=None, help="manager HOST:PORT")(f)


@click.command("configure")
@click.option("--endpoint", "endpoint_", default=None, help="manager HOST:PORT")
@click.option("--cluster", "cluster_", default=None, help="the cluster commands act on")
@click.option("--ca-file", "ca_file_", default=None, type=click.Path(dir_okay=False), help="the cluster CA")
@click.option(
    "--api-key-file",
    default=None,
    type=click.Path(exists=True, dir_okay=False),
    help="file holding the API key",
)
@click.pass_context
def configure(
    ctx: click.Context,
    endpoint_: str | None,
    cluster_: str | None,
    ca_file_: str | None,
    api_key_file: str | None,
) -> None:
    """Save endpoint, cluster, CA and API key as a profile (--profile, default `default`).

    With no option given it asks for each value, showing the current one.
    """
    name = ctx.obj.profile or "default"
    p = profiles.load(name)
    given = any(v is not None for v in (endpoint_, cluster_, ca_file_, api_key_file))
    if given:
        p.endpoint = endpoint_ or p.endpoint
        p.cluster = cluster_ or p.cluster
        p.ca_file = str(Path(ca_file_).resolve()) if ca_file_ else p.ca_file
        if api_key_file:
            p.api_key = Path(api_key_file).read_text().strip()
    else:
        p.endpoint = click.prompt("Manager endpoint", default=p.endpoint or "127.0.0.1:7700")
        p.cluster = click.prompt("Cluster", default=p.cluster or "default")
        ca = click.prompt("Cluster CA file (the manager's DATA_DIR/ca.pem)", default=p.ca_file or "")
        p.ca_file = str(Path(ca).resolve()) if ca else ""
        shown = f"...{p.api_key[-4:]}" if p.api_key else ""
        key = click.prompt("API key", default=shown, hide_input=True, show_default=bool(shown))
        if key and key != shown:
            p.api_key = key.strip()
    path = profiles.save(p)
    click.echo(f"profile {name!r} saved in {path}")


@click.command("whoami")
@_endpoint_output
def whoami(endpoint: str | None, output: str | None) -> None:
    """The API key this CLI calls with: its name, role, cluster limit and expiry."""
    c = ctx_of(endpoint, None, output)
    resp = c.client.who_am_i()

    def text() -> None:
        k = resp.key
        expires = ts(k.expires_at) if k.HasField("expires_at") else "never"
        click.echo(f"{k.name} ({k.id}): role {k.role}, cluster {k.cluster or '*'}, expires {expires}")

    c.emit(resp, text)


@click.group("auth")
def auth() -> None:
    """API keys and their roles: admin, operator, read-only."""


@auth.command("create-key")
@click.option("--name", required=True, help="who or what the key is for")
@click.option("--role", required=True, type=click.Choice(ROLES), help="what it may do")
@click.option("--cluster", "limit", default="", help="limit the key to this cluster")
@click.option("--expires-in", default="0", help="e.g. 30d, 12h; 0: never expires")
@click.option("-q", "--quiet", is_flag=True, help="print only the key, for scripts")
@click.option(
    "--aws-credentials",
    is_flag=True,
    help="also an AWS access key for the ECS endpoint (boto3, aws CLI), printed as ~/.aws/credentials",
)
@click.option("--aws-profile", default="", help="profile for --aws-credentials (default: the key's name)")
@_endpoint_output
def create_key(
    name: str,
    role: str,
    limit: str,
    expires_in: str,
    quiet: bool,
    aws_credentials: bool,
    aws_profile: str,
    endpoint: str | None,
    output: str | None,
) -> None:
    """Create an API key; it is shown once."""
    c = ctx_of(endpoint, None, output)
    resp = c.client.create_api_key(
        auth_pb2.CreateApiKeyRequest(
            name=name,
            role=role,
            cluster=limit,
            expires_in_seconds=parse_duration(expires_in),
            aws_credentials=aws_credentials,
        )
    )
    if aws_credentials and c.output != "json":
        # stdout is exactly a ~/.aws/credentials section (`>> ~/.aws/credentials`); the rest goes to stderr.
        click.echo(
            f"[{aws_profile or name}]\n"
            f"aws_access_key_id = {resp.key.aws_access_key_id}\n"
            f"aws_secret_access_key = {resp.aws_secret_access_key}"
        )
        if not quiet:
            click.echo(
                f"API key {resp.key.id} ({resp.key.role}); its gRPC form, shown only now: {resp.secret}\n"
                "The AWS secret is shown only now too; sign for region `local`, service `ecs`.",
                err=True,
            )
        return
    if quiet:
        click.echo(resp.secret)
        return

    def text() -> None:
        _rows([resp.key])
        click.echo(resp.secret)
        click.echo("The key is shown only now; `shoal configure` or SHOAL_API_KEY uses it.")

    c.emit(resp, text)


@auth.command("list-keys")
@_endpoint_output
def list_keys(endpoint: str | None, output: str | None) -> None:
    """Every API key with its role and status (never their secrets)."""
    c = ctx_of(endpoint, None, output)
    resp = c.client.list_api_keys()
    c.emit(resp, lambda: _rows(resp.keys))


@auth.command("revoke-key")
@click.argument("key_id")
@_endpoint_output
def revoke_key(key_id: str, endpoint: str | None, output: str | None) -> None:
    """Revoke an API key: calls with it are refused from now on."""
    c = ctx_of(endpoint, None, output)
    resp = c.client.revoke_api_key(auth_pb2.RevokeApiKeyRequest(id=key_id))
    c.emit(resp, lambda: _rows([resp.key]))


__all__ = ["auth", "configure", "fail", "whoami"]
