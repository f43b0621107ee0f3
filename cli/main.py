"""`shoal`: the command line client of the Shoal API (aws-cli style nouns, verbs and flags)."""

from __future__ import annotations

import os
import sys

import click

from shoal.cli import profiles
from shoal.cli._common import Ctx
from shoal.cli.attribute import attribute
from shoal.cli.auth import auth, configure, whoami
from shoal.cli.cluster import cluster
from shoal.cli.events import events
from shoal.cli.exec_ import task_exec
from shoal.cli.instance import instance
from shoal.cli.lb import lb
from shoal.cli.logs import logs, service_logs, task_logs
from shoal.cli.metrics import alarm, metrics
from shoal.cli.output import fail
from shoal.cli.scaling import scaling
from shoal.cli.secret import secret
from shoal.cli.service import service
from shoal.cli.task import task
from shoal.cli.task_definition import task_definition
from shoal.cli.token import token
from shoal.cli.top import top
from shoal.cli.wait import wait_group
from shoal.client import DEFAULT_ENDPOINT, UNREACHABLE
from shoal.client.ecsjson import UnknownFields
from shoal.core.errors import ShoalError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--endpoint",
    envvar="SHOAL_ENDPOINT",
    default=None,
    help=f"manager HOST:PORT (env SHOAL_ENDPOINT; else the profile's; else {DEFAULT_ENDPOINT})",
)
@click.option(
    "--cluster",
    envvar="SHOAL_CLUSTER",
    default=None,
    help="cluster (env SHOAL_CLUSTER; else the profile's; else default)",
)
@click.option("--output", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option(
    "--ca-file",
    envvar="SHOAL_CA_FILE",
    default=None,
    type=click.Path(dir_okay=False),
    help="the cluster CA certificate the manager's TLS is checked against: its DATA_DIR/ca.pem "
    "(env SHOAL_CA_FILE)",
)
@click.option(
    "--insecure",
    envvar="SHOAL_INSECURE",
    is_flag=True,
    default=False,
    help="plaintext, for a manager started with --insecure (env SHOAL_INSECURE=1)",
)
@click.option(
    "--profile",
    envvar="SHOAL_PROFILE",
    default=None,
    help="named settings from ~/.config/shoal/config (`shoal configure`; env SHOAL_PROFILE)",
)
@click.pass_context
def cli(
    ctx: click.Context,
    endpoint: str | None,
    cluster: str | None,
    output: str,
    ca_file: str | None,
    insecure: bool,
    profile: str | None,
) -> None:
    """Shoal: ECS-style container orchestration on your own VMs."""
    # Flags and SHOAL_* variables win over the profile, as aws-cli's do; the key only comes from
    # SHOAL_API_KEY or the profile, never a flag (it would show in `ps` and shell history).
    p = profiles.load(profile or "default")
    ctx.obj = Ctx(
        endpoint or p.endpoint or DEFAULT_ENDPOINT,
        cluster or p.cluster or "default",
        output,
        ca_file=ca_file or p.ca_file or None,
        insecure=insecure,
        api_key=os.environ.get("SHOAL_API_KEY") or p.api_key or None,
        profile=profile,
    )


for _group in (
    cluster,
    task_definition,
    instance,
    attribute,
    task,
    service,
    wait_group,
    token,
    auth,
    secret,
    metrics,
    alarm,
    scaling,
    top,
    lb,
    configure,
    whoami,
    logs,
    events,
):
    cli.add_command(_group)
task.add_command(task_logs)
task.add_command(task_exec)
service.add_command(service_logs)


def report(exc: ShoalError) -> None:
    """A failed request as one line per problem: `error: <message> (<STATUS>)`, then exit 1."""
    if exc.reason == UNREACHABLE:
        fail(exc.message)  # it already says what to do; there was no status from a manager
    problems = exc.problems if isinstance(exc, UnknownFields) else [exc]
    for p in problems[:-1]:
        click.echo(f"error: {p.message} ({p.code})", err=True)
    fail(f"{problems[-1].message} ({problems[-1].code})")


def main() -> None:
    """Run the CLI; usage mistakes are one line on stderr and exit code 2, like every other error."""
    try:
        cli.main(standalone_mode=False)
    except ShoalError as exc:
        report(exc)
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help() if exc.ctx else "", err=True)
        sys.exit(2)
    except click.UsageError as exc:
        where = exc.ctx.command_path if exc.ctx else "shoal"
        fail(f"{exc.format_message()} (see '{where} --help')", 2)
    except click.ClickException as exc:
        fail(exc.format_message(), exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except (KeyboardInterrupt, click.exceptions.Abort):
        sys.exit(130)
    except Exception as exc:
        # Never a traceback for what a user typed; SHOAL_DEBUG=1 shows it for a bug report.
        if os.environ.get("SHOAL_DEBUG"):
            raise
        fail(f"unexpected {type(exc).__name__}: {str(exc)[:300]} (SHOAL_DEBUG=1 shows the traceback)")


if __name__ == "__main__":
    main()
