"""`shoal token`: join tokens that let new VMs join the cluster (create, list, revoke)."""

from __future__ import annotations

import re
from collections.abc import Iterable

import click

from shoal.cli._common import common, ctx_of
from shoal.cli.output import print_table, ts
from shoal.v1 import fleet_pb2

_DURATION = re.compile(r"([0-9]{1,9})([smhdw]?)")
_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration(value: str) -> int:
    """Seconds from 90, 90s, 30m, 1h, 7d or 2w; 0 means never."""
    m = _DURATION.fullmatch(value.strip().lower())
    if m is None:
        raise click.BadParameter(f"{value!r}: give a duration such as 30m, 1h, 7d (0: never expires)")
    return int(m.group(1)) * _SECONDS[m.group(2)]


@click.group()
def token() -> None:
    """Join tokens: one lets a new VM join the cluster (shoal-agent --token ...)."""


def _uses(t: fleet_pb2.JoinToken) -> str:
    return f"{t.uses}/{t.max_uses}" if t.max_uses else f"{t.uses}/unlimited"


def _rows(tokens: Iterable[fleet_pb2.JoinToken]) -> None:
    print_table(
        ["ID", "CLUSTER", "STATUS", "USES", "EXPIRES", "CREATED", "DESCRIPTION"],
        [
            [
                t.id,
                t.cluster,
                t.status,
                _uses(t),
                ts(t.expires_at) if t.HasField("expires_at") else "never",
                ts(t.created_at),
                t.description or "-",
            ]
            for t in tokens
        ],
    )


@token.command("create")
@click.option(
    "--ttl", default="24h", show_default=True, help="how long it may be used: 30m, 1h, 7d; 0: never expires"
)
@click.option(
    "--uses",
    type=click.IntRange(0, 1_000_000),
    default=0,
    help="how many VMs may join with it (0: unlimited)",
)
@click.option("--description", default="", help="what the token is for, shown by `token list`")
@click.option("-q", "--quiet", is_flag=True, help="print only the token, for scripts")
@common
def token_create(
    ttl: str,
    uses: int,
    description: str,
    quiet: bool,
    endpoint: str | None,
    cluster: str | None,
    output: str | None,
) -> None:
    """Create a join token for the cluster and print the command a new VM runs with it."""
    c = ctx_of(endpoint, cluster, output)
    resp = c.client.create_join_token(
        fleet_pb2.CreateJoinTokenRequest(
            cluster=c.cluster, ttl_seconds=parse_duration(ttl), uses=uses, description=description
        )
    )
    if quiet:
        click.echo(resp.secret)
        return

    def text() -> None:
        t = resp.token
        expires = f"expires {ts(t.expires_at)} UTC" if t.HasField("expires_at") else "never expires"
        limit = f"{t.max_uses} use(s)" if t.max_uses else "unlimited uses"
        click.echo(f"join token {t.id} for cluster {t.cluster} ({expires}, {limit}):")
        click.echo(resp.secret)
        click.echo("")
        click.echo("On a new Debian or Ubuntu VM (root, or a user with sudo), run:")
        click.echo(f"  {resp.install_command}")
        click.echo("The token is shown only now; `shoal token revoke " + t.id + "` withdraws it.")

    c.emit(resp, text)


@token.command("list")
@click.option("--all-clusters", is_flag=True, help="tokens of every cluster, not only --cluster's")
@common
def token_list(all_clusters: bool, endpoint: str | None, cluster: str | None, output: str | None) -> None:
    """Join tokens with their status (never their secrets)."""
    c = ctx_of(endpoint, cluster, output)
    resp = c.client.list_join_tokens(
        fleet_pb2.ListJoinTokensRequest(cluster="" if all_clusters else c.cluster)
    )
    c.emit(resp, lambda: _rows(resp.tokens))


@token.command("revoke")
@click.argument("token_id")
@common
def token_revoke(token_id: str, endpoint: str | None, cluster: str | None, output: str | None) -> None:
    """Revoke a join token: no VM can join with it any more (joined ones stay)."""
    c = ctx_of(endpoint, cluster, output)
    resp = c.client.revoke_join_token(fleet_pb2.RevokeJoinTokenRequest(id=token_id))
    c.emit(resp, lambda: _rows([resp.token]))
