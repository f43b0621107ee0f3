"""`shoal task logs`, `shoal service logs`, `shoal logs tail`: container output streamed from agents."""

from __future__ import annotations

import queue
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC

import click
from google.protobuf.timestamp_pb2 import Timestamp

from shoal.cli._common import common, ctx_of
from shoal.cli.output import fail, short
from shoal.client import ShoalClient
from shoal.core.errors import ShoalError
from shoal.core.logs import parse_since
from shoal.v1 import api_pb2, ecs_pb2, streams_pb2


def _since(value: str | None) -> Timestamp | None:
    if not value:
        return None
    ts = Timestamp()
    ts.FromDatetime(parse_since(value))
    return ts


def _stamp(t: Timestamp) -> str:
    return t.ToDatetime(tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _request(
    cluster: str, task: str, container: str, follow: bool, since: Timestamp | None, tail: int
) -> streams_pb2.GetTaskLogsRequest:
    req = streams_pb2.GetTaskLogsRequest(
        cluster=cluster, task=task, container=container, follow=follow, tail=tail
    )
    if since is not None:
        req.since.CopyFrom(since)
    return req


Requests = list[tuple[str, streams_pb2.GetTaskLogsRequest]]
DISCOVER_SECONDS = 2.0  # how often a follow of a service or a log group looks for new tasks


def _merged(
    client: ShoalClient,
    requests: Requests,
    follow: bool,
    discover: Callable[[], Requests] | None = None,
) -> Iterator[tuple[str, streams_pb2.LogEvent] | None]:
    """Events of several streams: in time order without follow; as they come with follow. With
    `discover`, a follow also picks up the streams of tasks started since (as `aws logs tail
    --follow` does) and runs until interrupted."""
    if not follow:
        events = []
        for label, req in requests:
            for resp in client.get_task_logs(req):
                events.extend((label, e) for e in resp.events)
        events.sort(key=lambda le: (le[1].timestamp.seconds, le[1].timestamp.nanos))
        yield from events
        return
    q: queue.Queue = queue.Queue(maxsize=10000)  # bounded: a slow terminal holds the streams back

    def pump(label: str, req: streams_pb2.GetTaskLogsRequest) -> None:
        try:
            for resp in client.get_task_logs(req):
                for e in resp.events:
                    q.put((label, e))
        except ShoalError as exc:
            q.put(exc)
        finally:
            q.put(None)

    started: set[tuple[str, str]] = set()

    def start(batch: Requests) -> int:
        fresh = [(label, req) for label, req in batch if (req.task, req.container) not in started]
        for label, req in fresh:
            started.add((req.task, req.container))
            threading.Thread(target=pump, args=(label, req), daemon=True).start()
        return len(fresh)

    live = start(requests)
    since_found = time.monotonic()
    if discover is not None:

        def look() -> None:
            while True:
                time.sleep(DISCOVER_SECONDS)
                try:
                    q.put(("discovered", discover()))
                except ShoalError as exc:
                    q.put(exc)

        threading.Thread(target=look, daemon=True).start()
    while live or discover is not None:
        item = q.get()
        if item is None:
            live -= 1
        elif isinstance(item, ShoalError):
            click.echo(f"warning: {item.message} ({item.code})", err=True)
        elif item[0] == "discovered" and isinstance(item[1], list):
            live += start(item[1])
            if not live and time.monotonic() - since_found > 10:
                click.echo("waiting for tasks to log (Ctrl-C to stop)", err=True)
                since_found = time.monotonic()
        else:
            yield item
            if q.empty():
                yield None


def _print(events: Iterator[tuple[str, streams_pb2.LogEvent] | None], timestamps: bool) -> None:
    """Lines as they come; None marks the end of a batch (flushed then, not after every line)."""
    out = sys.stdout.buffer
    try:
        for item in events:
            if item is None:
                out.flush()
                continue
            label, e = item
            prefix = (f"{_stamp(e.timestamp)} " if timestamps else "") + label
            out.write(prefix.encode() + e.message + b"\n")
        out.flush()
    except BrokenPipeError:  # `| head`: the reader is done
        sys.stderr.close()
        sys.exit(0)


@click.command("logs")
@click.argument("task_ref", metavar="TASK", required=False)
@click.option("--task", "task_opt", default=None, help="task id or ARN (or give it as the argument)")
@click.option("--container", default="", help="only this container (default: every container)")
@click.option("--follow", "-f", is_flag=True, help="keep printing new lines until the task stops")
@click.option("--since", default=None, help="only lines after this: 10m, 1h, 2d or 2026-01-31T12:00:00Z")
@click.option("--tail", type=click.IntRange(0, 1_000_000), default=0, help="only the last N lines (0: all)")
@click.option("--timestamps", "-t", is_flag=True, help="print each line's time (UTC)")
@common
def task_logs(
    task_ref: str | None,
    task_opt: str | None,
    container: str,
    follow: bool,
    since: str | None,
    tail: int,
    timestamps: bool,
    endpoint: str | None,
    cluster: str | None,
    output: str | None,
) -> None:
    """A task's container output, read from its instance (kept until the stopped task is cleaned up)."""
    c = ctx_of(endpoint, cluster, output)
    task = task_opt or task_ref
    if not task:
        fail("name the task: shoal task logs TASK (see 'shoal task logs --help')", 2)
    req = _request(c.cluster, task, container, follow, _since(since), tail)
    described = c.client.describe_tasks(api_pb2.DescribeTasksRequest(cluster=c.cluster, tasks=[task]))
    several = not container and described.tasks and len(described.tasks[0].containers) > 1

    def events() -> Iterator[tuple[str, streams_pb2.LogEvent]]:
        for resp in c.client.get_task_logs(req):
            for e in resp.events:
                yield (f"{e.container_name} | " if several else ""), e
            yield None

    _print(events(), timestamps)


def _service_tasks(c, service: str) -> list[ecs_pb2.Task]:
    arns: list[str] = []
    for status in ("RUNNING", "STOPPED"):
        token = ""
        while True:
            resp = c.client.list_tasks(
                api_pb2.ListTasksRequest(
                    cluster=c.cluster, service_name=service, desired_status=status, next_token=token
                )
            )
            arns.extend(resp.task_arns)
            token = resp.next_token
            if not token:
                break
    return _describe(c, arns)


def _describe(c, arns: list[str]) -> list[ecs_pb2.Task]:
    tasks = []
    for i in range(0, len(arns), 100):
        tasks.extend(
            c.client.describe_tasks(
                api_pb2.DescribeTasksRequest(cluster=c.cluster, tasks=arns[i : i + 100])
            ).tasks
        )
    return tasks


@click.command("logs")
@click.argument("service_ref", metavar="SERVICE", required=False)
@click.option("--service", "service_opt", default=None, help="service name or ARN")
@click.option("--follow", "-f", is_flag=True, help="keep printing new lines")
@click.option("--since", default=None, help="only lines after this: 10m, 1h or a time")
@click.option("--tail", type=click.IntRange(0, 1_000_000), default=0, help="only the last N lines of each")
@click.option("--timestamps", "-t", is_flag=True, help="print each line's time (UTC)")
@common
def service_logs(
    service_ref: str | None,
    service_opt: str | None,
    follow: bool,
    since: str | None,
    tail: int,
    timestamps: bool,
    endpoint: str | None,
    cluster: str | None,
    output: str | None,
) -> None:
    """The output of all the service's tasks, interleaved, each line prefixed TASK/CONTAINER (like
    `docker service logs`)."""
    c = ctx_of(endpoint, cluster, output)
    service = service_opt or service_ref
    if not service:
        fail("name the service: shoal service logs SERVICE (see 'shoal service logs --help')", 2)
    found = c.client.describe_services(api_pb2.DescribeServicesRequest(cluster=c.cluster, services=[service]))
    if not found.services:
        fail(f"service {service!r} not found in cluster {c.cluster} (NOT_FOUND)")
    name = found.services[0].service_name
    ts = _since(since)

    def requests() -> Requests:
        return [
            (f"{short(t.task_arn)}/{ct.name} | ", _request(c.cluster, t.task_arn, ct.name, follow, ts, tail))
            for t in _service_tasks(c, name)
            if t.container_instance_arn
            for ct in t.containers
        ]

    _print(_merged(c.client, requests(), follow, requests if follow else None), timestamps)


@click.group("logs")
def logs() -> None:
    """Read container output by awslogs log group (`aws logs` style)."""


@logs.command("tail")
@click.argument("group")
@click.option("--follow", is_flag=True, help="keep printing new lines")
@click.option("--log-stream-name-prefix", default="", help="only streams starting with this")
@click.option("--since", default="10m", show_default=True, help="from this long ago (10m, 1h, 2d) or a time")
@common
def logs_tail(
    group: str,
    follow: bool,
    log_stream_name_prefix: str,
    since: str,
    endpoint: str | None,
    cluster: str | None,
    output: str | None,
) -> None:
    """Lines of a log group's streams (awslogs-group; streams PREFIX/CONTAINER/TASK), as `aws logs tail`."""
    c = ctx_of(endpoint, cluster, output)
    ts = _since(since)

    def requests() -> Requests:
        arns: list[str] = []
        for status in ("RUNNING", "STOPPED"):
            token = ""
            while True:
                resp = c.client.list_tasks(
                    api_pb2.ListTasksRequest(cluster=c.cluster, desired_status=status, next_token=token)
                )
                arns.extend(resp.task_arns)
                token = resp.next_token
                if not token:
                    break
        return [
            (f"{ct.log_stream} ", _request(c.cluster, t.task_arn, ct.name, follow, ts, 0))
            for t in _describe(c, arns)
            if t.container_instance_arn
            for ct in t.containers
            if ct.log_group == group and ct.log_stream.startswith(log_stream_name_prefix)
        ]

    found = requests()
    if not found and not follow:
        return
    _print(_merged(c.client, found, follow, requests if follow else None), True)
