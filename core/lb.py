"""Load balancing rules, pure: which tasks are targets and where, their health as the proxies report
it, when a draining target may stop, and the proxy configuration of one instance."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from shoal.core import haproxy
from shoal.v1 import ecs_pb2, lb_pb2

NAME_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$")
PROTOCOLS = ("HTTP", "TCP")
MATCHER_RE = re.compile(r"^\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*$")
# A report older than this does not prove a target drained (its proxy may not have seen the drain yet).
REPORT_SETTLE = timedelta(seconds=0.5)


@dataclass(frozen=True)
class Target:
    """One task in one target group."""

    target_group: str  # name
    task_arn: str
    instance_arn: str
    address: str
    port: int
    draining: bool
    draining_since: datetime | None = None

    @property
    def server(self) -> str:
        return self.task_arn.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Report:
    """One proxy instance's last report."""

    instance_arn: str
    reported_at: datetime
    status: lb_pb2.LbStatus


def validate_matcher(value: str) -> str | None:
    """The problem with an ELB HttpCode matcher, or None."""
    if not MATCHER_RE.fullmatch(value):
        return f"{value[:32]!r} is not a code (200), a list (200,302) or a range (200-399)"
    for part in value.split(","):
        lo, _, hi = part.partition("-")
        if not 200 <= int(lo) <= 499 or (hi and not int(lo) <= int(hi) <= 499):
            return f"{part!r}: codes are 200 to 499, the range low to high"
    return None


def host_port(task: ecs_pb2.Task, container_name: str, container_port: int) -> int:
    for c in task.containers:
        if c.name == container_name:
            for b in c.network_bindings:
                if b.container_port == container_port and (b.protocol or "tcp") == "tcp":
                    return b.host_port
    return 0


def targets_of(
    task: ecs_pb2.Task,
    load_balancers: Sequence[ecs_pb2.LoadBalancer],
    target_group_names: dict[str, str],
    host_ip: str,
    has_health_check: bool,
) -> list[Target]:
    """The targets a service task is: registered once RUNNING (and HEALTHY with a container health
    check), draining once the service deregistered it, none once it stops."""
    if task.last_status != "RUNNING" or task.desired_status != "RUNNING":
        return []
    draining = task.HasField("lb_draining_since")
    if not draining and has_health_check and task.health_status != "HEALTHY":
        return []
    out = []
    for lb in load_balancers:
        name = target_group_names.get(lb.target_group_arn)
        port = host_port(task, lb.container_name, lb.container_port)
        if name is None or not port:
            continue
        out.append(
            Target(
                name,
                task.task_arn,
                task.container_instance_arn,
                host_ip or "127.0.0.1",
                port,
                draining,
                task.lb_draining_since.ToDatetime(tzinfo=UTC) if draining else None,
            )
        )
    return out


def _seen(t: Target, reports: Iterable[Report]) -> list[lb_pb2.LbServerStatus]:
    backend = haproxy.backend_name(t.target_group)
    return [s for r in reports for s in r.status.servers if s.backend == backend and s.server == t.server]


_PASSED = ("L4OK", "L6OK", "L7OK", "L7OKC")


def _initial(s: lb_pb2.LbServerStatus) -> bool:
    """Not checked yet, or DOWN with its last check passed: rising towards healthyThresholdCount (the
    proxy holds each new server DOWN until then). A DOWN server whose last check failed is unhealthy."""
    check = s.check_status.lstrip("* ")  # "* " while a check is running
    if not check or check.startswith("INI"):
        return True
    return s.status.startswith("DOWN") and check in _PASSED


def health(t: Target, reports: Sequence[Report]) -> lb_pb2.TargetHealthDescription:
    """ELB's TargetHealth of a target from what its proxies report: healthy when one proxy has it UP,
    unhealthy when every proxy that checks it has it DOWN, initial until then."""
    seen = _seen(t, reports)
    d = lb_pb2.TargetHealthDescription(
        target=lb_pb2.Target(id=t.instance_arn.rsplit("/", 1)[-1], port=t.port),
        health_check_port=str(t.port),
        task_arn=t.task_arn,
        address=f"{t.address}:{t.port}",
        current_connections=sum(s.current_sessions for s in seen),
    )
    th = d.target_health
    checked = [s for s in seen if not _initial(s)]
    if t.draining:
        th.state, th.reason = "draining", "Target.DeregistrationInProgress"
        th.description = "Target deregistration is in progress"
    elif any(s.status.startswith("UP") for s in checked):
        th.state = "healthy"
    elif checked and all(s.status.startswith("DOWN") for s in checked):
        th.state, th.reason = "unhealthy", "Target.FailedHealthChecks"
        why = next((s.check_description for s in checked if s.check_description), "")
        th.description = f"Health checks failed{': ' + why if why else ''} ({checked[0].check_status})"
    else:
        th.state, th.reason = "initial", "Elb.RegistrationInProgress"
        th.description = "Target registration is in progress"
    return d


def drained(t: Target, reports: Sequence[Report], proxies: Iterable[str]) -> bool:
    """Every proxy that carries the target group has seen the drain and holds no connection to it."""
    if t.draining_since is None:
        return False
    by_instance = {r.instance_arn: r for r in reports}
    for arn in proxies:
        r = by_instance.get(arn)
        if r is None or r.reported_at < t.draining_since + REPORT_SETTLE:
            return False
        for s in _seen(t, [r]):
            if s.current_sessions > 0 or not (s.status.startswith("DRAIN") or s.status.startswith("MAINT")):
                return False
    return True


def drain_finished(now: datetime, until: datetime, connections_ended: bool) -> bool:
    """ELB: deregistration completes after the delay, or as soon as the target has no connection."""
    return connections_ended or now >= until


def config_for(
    load_balancers: Sequence[lb_pb2.ElbLoadBalancer],
    target_groups: dict[str, lb_pb2.TargetGroup],
    targets: Sequence[Target],
) -> lb_pb2.LbConfig:
    """What the proxy of an instance carrying `load_balancers` serves (target groups by ARN)."""
    cfg = lb_pb2.LbConfig()
    used: dict[str, lb_pb2.TargetGroup] = {}

    def use(arn: str) -> str:
        tg = target_groups.get(arn)
        if tg is None:
            return ""
        used[tg.target_group_name] = tg
        return tg.target_group_name

    for lb in sorted(load_balancers, key=lambda lb: lb.load_balancer_name):
        for ls in sorted(lb.listeners, key=lambda ls: ls.port):
            f = cfg.frontends.add(
                name=f"{lb.load_balancer_name}_{ls.port}",
                port=ls.port,
                protocol=ls.protocol,
                default_backend=use(ls.default_target_group_arn),
            )
            for r in ls.rules:
                route = f.routes.add(priority=r.priority, backend=use(r.target_group_arn))
                for c in r.conditions:
                    if c.field == "path-pattern":
                        route.path_patterns.extend(c.values)
                    elif c.field == "host-header":
                        route.host_headers.extend(c.values)
    by_group: dict[str, list[Target]] = {}
    for t in targets:
        by_group.setdefault(t.target_group, []).append(t)
    for name in sorted(used):
        tg = used[name]
        b = cfg.backends.add(
            name=name,
            protocol=tg.protocol,
            health_check_protocol=tg.health_check_protocol or tg.protocol,
            health_check_path=tg.health_check_path,
            health_check_interval_seconds=tg.health_check_interval_seconds,
            health_check_timeout_seconds=tg.health_check_timeout_seconds,
            healthy_threshold_count=tg.healthy_threshold_count,
            unhealthy_threshold_count=tg.unhealthy_threshold_count,
            matcher=tg.matcher.http_code,
        )
        for t in sorted(by_group.get(name, []), key=lambda t: t.server):
            b.servers.add(name=t.server, address=t.address, port=t.port, draining=t.draining)
    return cfg
