"""`shoal metrics get` (get-metric-statistics for AWS/ECS) and `shoal alarm put|describe|delete`."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

import click
from google.protobuf.timestamp_pb2 import Timestamp

from shoal.cli._common import common, ctx_of
from shoal.cli.output import print_table, ts
from shoal.v1 import metrics_pb2

STATISTICS = ["Average", "Minimum", "Maximum", "Sum", "SampleCount"]
COMPARISONS = [
    "GreaterThanThreshold",
    "GreaterThanOrEqualToThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
]
_AGO = re.compile(r"-?([0-9]+)([smhd])")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_time(value: str, option: str) -> Timestamp:
    """ISO 8601 (2026-12-01T10:00:00Z), epoch seconds, or an age such as 10m / 2h / 1d (ago)."""
    out = Timestamp()
    ago = _AGO.fullmatch(value.strip())
    if ago:
        out.FromNanoseconds(int((time.time() - int(ago.group(1)) * _UNIT[ago.group(2)]) * 1e9))
        return out
    if re.fullmatch(r"[0-9]{9,11}(\.[0-9]+)?", value.strip()):
        out.FromNanoseconds(int(float(value) * 1e9))
        return out
    try:
        dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(
            f"{value[:40]!r}: expected an ISO 8601 time, epoch seconds or an age like 10m, 2h",
            param_hint=option,
        ) from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    out.FromDatetime(dt)
    return out


def dimensions(cluster: str, service: str | None) -> list[metrics_pb2.Dimension]:
    dims = [metrics_pb2.Dimension(name="ClusterName", value=cluster)]
    if service:
        dims.append(metrics_pb2.Dimension(name="ServiceName", value=service))
    return dims


@click.group("metrics")
def metrics() -> None:
    """AWS/ECS metrics of services and clusters (CPUUtilization, CPUReservation, ...)."""


@metrics.command("get")
@click.option(
    "--metric", "--metric-name", "metric", required=True, help="e.g. CPUUtilization, MemoryReservation"
)
@click.option("--service", "--service-name", "service", default=None, help="a service (else cluster metrics)")
@click.option("--period", type=int, default=60, show_default=True, help="seconds: 10, 30 or a multiple of 60")
@click.option("--start-time", default=None, help="ISO 8601, epoch seconds or an age (default 1h)")
@click.option("--end-time", default=None, help="ISO 8601, epoch seconds or an age (default now)")
@click.option(
    "--statistics",
    multiple=True,
    help="Average Minimum Maximum Sum SampleCount (several after one flag; default Average)",
)
@click.argument("more_statistics", nargs=-1)
@common
def get(
    metric: str,
    service: str | None,
    period: int,
    start_time: str | None,
    end_time: str | None,
    statistics: tuple[str, ...],
    more_statistics: tuple[str, ...],
    endpoint: str | None,
    cluster: str | None,
    output: str | None,
) -> None:
    """Statistics of a metric per period, oldest first (as `aws cloudwatch get-metric-statistics`)."""
    c = ctx_of(endpoint, cluster, output)
    # aws-cli takes `--statistics Average Maximum`: the words after the flag arrive as arguments.
    stats = [*statistics, *more_statistics] or ["Average"]
    req = metrics_pb2.GetMetricStatisticsRequest(
        cluster=c.cluster,
        namespace="AWS/ECS",
        metric_name=metric,
        dimensions=dimensions(c.cluster, service),
        period=period,
        statistics=stats,
    )
    if start_time:
        req.start_time.CopyFrom(parse_time(start_time, "--start-time"))
    if end_time:
        req.end_time.CopyFrom(parse_time(end_time, "--end-time"))
    resp = c.client.get_metric_statistics(req)
    fields = {s: {"SampleCount": "sample_count"}.get(s, s.lower()) for s in stats}

    def table() -> None:
        if not resp.datapoints:
            click.echo(f"no datapoints for {metric} in that time range", err=True)
            return
        print_table(
            ["TIMESTAMP", *[s.upper() for s in stats], "UNIT"],
            [
                [ts(d.timestamp), *[f"{getattr(d, fields[s]):.2f}" for s in stats], d.unit]
                for d in resp.datapoints
            ],
        )

    c.emit(resp, table)


@click.group("alarm")
def alarm() -> None:
    """Alarms on metrics (as CloudWatch's): OK, ALARM or INSUFFICIENT_DATA, evaluated every 10 s."""


def _alarm_rows(alarms) -> None:
    print_table(
        ["NAME", "STATE", "METRIC", "SERVICE", "CONDITION", "UPDATED", "REASON"],
        [
            [
                a.alarm_name,
                a.state_value,
                f"{a.statistic} {a.metric_name}",
                next((d.value for d in a.dimensions if d.name == "ServiceName"), "-"),
                f"{a.comparison_operator} {a.threshold:g} for {a.datapoints_to_alarm}/{a.evaluation_periods}"
                f" x {a.period}s",
                ts(a.state_updated_timestamp),
                a.state_reason,
            ]
            for a in alarms
        ],
    )


@alarm.command("put")
@click.option("--name", "--alarm-name", "name", required=True)
@click.option("--metric", "--metric-name", "metric", required=True)
@click.option(
    "--service", "--service-name", "service", default=None, help="a service (else a cluster metric)"
)
@click.option("--threshold", type=float, required=True)
@click.option(
    "--comparison", "--comparison-operator", "comparison", type=click.Choice(COMPARISONS), required=True
)
@click.option("--evaluation-periods", type=int, required=True)
@click.option("--period", type=int, default=60, show_default=True)
@click.option("--statistic", type=click.Choice(STATISTICS), default="Average", show_default=True)
@click.option("--datapoints-to-alarm", type=int, default=0, help="M of the N evaluation periods (default N)")
@click.option(
    "--treat-missing-data",
    type=click.Choice(["missing", "ignore", "breaching", "notBreaching"]),
    default="missing",
    show_default=True,
)
@click.option("--description", "--alarm-description", "description", default="")
@common
def put(
    name: str,
    metric: str,
    service: str | None,
    threshold: float,
    comparison: str,
    evaluation_periods: int,
    period: int,
    statistic: str,
    datapoints_to_alarm: int,
    treat_missing_data: str,
    description: str,
    endpoint: str | None,
    cluster: str | None,
    output: str | None,
) -> None:
    """Create or replace an alarm (it starts in INSUFFICIENT_DATA)."""
    c = ctx_of(endpoint, cluster, output)
    resp = c.client.put_metric_alarm(
        metrics_pb2.PutMetricAlarmRequest(
            cluster=c.cluster,
            alarm_name=name,
            alarm_description=description,
            namespace="AWS/ECS",
            metric_name=metric,
            dimensions=dimensions(c.cluster, service),
            statistic=statistic,
            period=period,
            evaluation_periods=evaluation_periods,
            datapoints_to_alarm=datapoints_to_alarm,
            threshold=threshold,
            comparison_operator=comparison,
            treat_missing_data=treat_missing_data,
        )
    )
    c.emit(resp, lambda: click.echo(f"alarm {resp.alarm.alarm_name} stored ({resp.alarm.state_value})"))


@alarm.command("describe")
@click.argument("names", nargs=-1)
@click.option("--alarm-names", "flag_names", multiple=True, help="as aws-cli (repeatable)")
@click.option("--state-value", type=click.Choice(["OK", "ALARM", "INSUFFICIENT_DATA"]), default=None)
@common
def describe(
    names: tuple[str, ...],
    flag_names: tuple[str, ...],
    state_value: str | None,
    endpoint: str | None,
    cluster: str | None,
    output: str | None,
) -> None:
    """The cluster's alarms (or the named ones) with their states."""
    c = ctx_of(endpoint, cluster, output)
    resp = c.client.describe_alarms(
        metrics_pb2.DescribeAlarmsRequest(
            cluster=c.cluster, alarm_names=[*names, *flag_names], state_value=state_value or ""
        )
    )
    c.emit(resp, lambda: _alarm_rows(resp.metric_alarms))


@alarm.command("delete")
@click.argument("names", nargs=-1)
@click.option("--alarm-names", "flag_names", multiple=True, help="as aws-cli (repeatable)")
@common
def delete(
    names: tuple[str, ...],
    flag_names: tuple[str, ...],
    endpoint: str | None,
    cluster: str | None,
    output: str | None,
) -> None:
    """Delete alarms by name (all or none)."""
    all_names = [*names, *flag_names]
    if not all_names:
        raise click.UsageError("name at least one alarm")
    c = ctx_of(endpoint, cluster, output)
    resp = c.client.delete_alarms(metrics_pb2.DeleteAlarmsRequest(cluster=c.cluster, alarm_names=all_names))
    c.emit(resp, lambda: click.echo(f"deleted {', '.join(resp.deleted)}"))
