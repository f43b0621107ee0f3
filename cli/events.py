"""`shoal events`: the cluster's event stream (EventBridge-shaped, as ECS emits them)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import click

from shoal.cli._common import common, ctx_of
from shoal.cli.output import note
from shoal.core import events as event_rules
from shoal.core.errors import Unavailable
from shoal.v1 import events_pb2

RECONNECT_SECONDS = 2.0


def parse_since(value: str, now: datetime | None = None) -> datetime:
    """`10m`, `2h`, `1h30m` (that long ago) or an ISO 8601 time (UTC when no offset is given)."""
    now = now or datetime.now(UTC)
    text = value.strip()
    try:
        return datetime.fromtimestamp(now.timestamp() - event_rules.parse_duration(text), UTC)
    except ValueError:
        pass
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(
            f"{text[:40]!r} is neither a duration (10m, 2h, 1h30m) nor a time (2026-01-31T12:00:00Z)",
            param_hint="'--since'",
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _line(event: events_pb2.Event) -> str:
    data = event_rules.to_eventbridge(event)
    when = event.time.ToDatetime().strftime("%Y-%m-%d %H:%M:%S")
    return f"{when}  {event.detail_type:<36}  {event_rules.summary(data)}"


@click.command("events")
@click.option("--follow", "-f", is_flag=True, help="keep printing new events as they happen")
@click.option(
    "--type",
    "types",
    multiple=True,
    help="only this detail-type (e.g. 'ECS Task State Change', or task, instance, service, deployment, "
    "alarm, exec); repeatable",
)
@click.option("--service", default=None, help="only events concerning this service (name or ARN)")
@click.option("--since", default=None, help="only events since: 10m, 2h, 1h30m ago, or an ISO 8601 time")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="at most the newest N stored events")
@common
def events(
    follow: bool,
    types: tuple[str, ...],
    service: str | None,
    since: str | None,
    limit: int | None,
    endpoint: str | None,
    cluster: str | None,
    output: str | None,
) -> None:
    """The cluster's events, oldest first: task, container instance, service and deployment state
    changes (and alarms, exec sessions), shaped like the EventBridge events ECS emits.

    --output json prints one document, {"events": [...]}; with --follow, one JSON line per event
    (EventBridge JSON), as they come.
    """
    c = ctx_of(endpoint, cluster, output)
    request = events_pb2.StreamEventsRequest(
        cluster=c.cluster, detail_types=list(types), service=service or "", follow=follow, limit=limit or 0
    )
    if since is not None:
        request.since.FromDatetime(parse_since(since))
    if not follow:
        found = list(c.client.stream_events(request))
        if c.output == "json":
            body = {"events": [event_rules.to_eventbridge(e) for e in found]}
            click.echo(json.dumps(body, indent=2, ensure_ascii=False))
        else:
            for event in found:
                click.echo(_line(event))
        return
    what = ", ".join(types) if types else "all types"
    note(
        f"waiting for events of cluster {c.cluster} ({what}"
        + (f", service {service}" if service else "")
        + "); Ctrl-C to stop"
    )
    last, last_time = (0, 0), None
    while True:
        try:
            for event in c.client.stream_events(request):
                if (event.revision, event.sequence) <= last:
                    continue  # already printed before a reconnect
                last, last_time = (event.revision, event.sequence), event.time
                if c.output == "json":
                    click.echo(json.dumps(event_rules.to_eventbridge(event), ensure_ascii=False), nl=True)
                else:
                    click.echo(_line(event))
            return
        except Unavailable as exc:
            # A manager restart or a failover: go on from the last event printed.
            note(f"connection lost ({exc.message}); reconnecting in {RECONNECT_SECONDS:.0f}s")
            time.sleep(RECONNECT_SECONDS)
            if last_time is not None:
                request.since.CopyFrom(last_time)
                request.limit = 0
