"""Load balancing rules (shoal.core.lb) and the deployment's view of draining and ELB health."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shoal.core import lb
from shoal.manager.controllers import deployment as dm
from shoal.v1 import ecs_pb2, lb_pb2

NOW = datetime(2026, 1, 1, tzinfo=UTC)
TG = "arn:shoal:elasticloadbalancing:local:000000000000:targetgroup/web/0123"
INSTANCE = "arn:shoal:ecs:local:000000000000:container-instance/default/i-1"
EDGE = "arn:shoal:ecs:local:000000000000:container-instance/default/i-edge"
LBS = [ecs_pb2.LoadBalancer(target_group_arn=TG, container_name="web", container_port=8080)]


def task(
    last: str = "RUNNING", desired: str = "RUNNING", health: str = "", draining: bool = False
) -> ecs_pb2.Task:
    t = ecs_pb2.Task(
        task_arn="arn:shoal:ecs:local:000000000000:task/default/abc",
        container_instance_arn=INSTANCE,
        last_status=last,
        desired_status=desired,
        health_status=health,
    )
    c = t.containers.add(name="web")
    c.network_bindings.add(container_port=8080, host_port=32768, protocol="tcp")
    if draining:
        t.lb_draining_since.FromDatetime(NOW)
    return t


def report(
    status: str,
    sessions: int = 0,
    at: datetime = NOW + timedelta(seconds=1),
    check: str = "L7OK",
):
    st = lb_pb2.LbStatus(running=True)
    st.servers.add(
        backend="tg_web", server="abc", status=status, check_status=check, current_sessions=sessions
    )
    return lb.Report(EDGE, at, st)


def test_a_task_is_a_target_once_running_and_healthy() -> None:
    names = {TG: "web"}
    assert lb.targets_of(task("PENDING"), LBS, names, "10.0.0.1", False) == []
    [t] = lb.targets_of(task(), LBS, names, "10.0.0.1", False)
    assert (t.target_group, t.address, t.port, t.draining, t.server) == (
        "web",
        "10.0.0.1",
        32768,
        False,
        "abc",
    )
    # With a container health check: only once HEALTHY.
    assert lb.targets_of(task(health="UNKNOWN"), LBS, names, "10.0.0.1", True) == []
    assert lb.targets_of(task(health="HEALTHY"), LBS, names, "10.0.0.1", True)
    # Deregistered: a draining target until the task stops; none once it is asked to stop.
    [d] = lb.targets_of(task(draining=True), LBS, names, "10.0.0.1", False)
    assert d.draining and d.draining_since == NOW
    assert lb.targets_of(task(desired="STOPPED"), LBS, names, "10.0.0.1", False) == []
    assert lb.targets_of(task(), LBS, {}, "10.0.0.1", False) == []  # its target group is gone


def test_health_follows_the_proxies_reports() -> None:
    [t] = lb.targets_of(task(), LBS, {TG: "web"}, "10.0.0.1", False)
    assert lb.health(t, []).target_health.state == "initial"
    assert lb.health(t, [report("UP 1/3", check="INI")]).target_health.state == "initial"
    assert lb.health(t, [report("UP", 2)]).target_health.state == "healthy"
    assert lb.health(t, [report("UP", 2)]).current_connections == 2
    down = lb.health(t, [report("DOWN", check="L7STS")]).target_health
    assert (down.state, down.reason) == ("unhealthy", "Target.FailedHealthChecks")
    [d] = lb.targets_of(task(draining=True), LBS, {TG: "web"}, "10.0.0.1", False)
    assert lb.health(d, [report("UP")]).target_health.state == "draining"


def test_a_new_target_held_down_until_its_checks_pass_is_initial_not_unhealthy() -> None:
    """The proxy holds each new server DOWN until healthyThresholdCount checks pass (as ELB sends a new
    target nothing before): rising, it is `initial`; once a check fails, `unhealthy` (HAProxy counts
    no failed check of a server held DOWN, so the last check's result decides)."""
    [t] = lb.targets_of(task(), LBS, {TG: "web"}, "10.0.0.1", False)
    state = lambda *r: lb.health(t, list(r)).target_health.state  # noqa: E731
    assert state(report("DOWN", check="INI")) == "initial"
    assert state(report("DOWN 1/3", check="L7OK")) == "initial"  # rising
    assert state(report("DOWN", check="L4OK")) == "initial"
    assert state(report("UP", check="L7OK")) == "healthy"
    assert state(report("DOWN", check="L7STS")) == "unhealthy"
    assert state(report("DOWN", check="L4CON")) == "unhealthy"  # held, and its checks fail


def test_drained_needs_every_proxy_to_have_seen_the_drain_with_no_connection() -> None:
    [d] = lb.targets_of(task(draining=True), LBS, {TG: "web"}, "10.0.0.1", False)
    assert not lb.drained(d, [], [EDGE])  # no report yet
    assert not lb.drained(d, [report("DRAIN", at=NOW)], [EDGE])  # too early to prove anything
    assert not lb.drained(d, [report("UP")], [EDGE])  # the proxy has not applied the drain
    assert not lb.drained(d, [report("DRAIN", 1)], [EDGE])  # a connection is still open
    assert lb.drained(d, [report("DRAIN", 0)], [EDGE])
    assert lb.drained(d, [report("MAINT", 0)], [EDGE])
    assert lb.drained(d, [], [])  # no proxy carries the target group


def test_drain_finishes_after_the_delay_or_when_connections_end() -> None:
    until = NOW + timedelta(seconds=300)
    assert not lb.drain_finished(NOW, until, False)
    assert lb.drain_finished(NOW, until, True)
    assert lb.drain_finished(until, until, False)


def test_matcher_validation() -> None:
    assert lb.validate_matcher("200") is None and lb.validate_matcher("200-399,404") is None
    assert lb.validate_matcher("abc") and lb.validate_matcher("399-200") and lb.validate_matcher("100")


def test_config_for_an_instance_has_its_listeners_and_only_the_groups_they_use() -> None:
    elb = lb_pb2.ElbLoadBalancer(load_balancer_name="edge")
    ls = elb.listeners.add(port=80, protocol="HTTP", default_target_group_arn=TG)
    ls.rules.add(
        priority=1,
        target_group_arn=TG + "x",
        conditions=[lb_pb2.RuleCondition(field="path-pattern", values=["/a/*"])],
    )
    groups = {
        TG: lb_pb2.TargetGroup(target_group_name="web", protocol="HTTP", health_check_path="/h"),
        TG + "x": lb_pb2.TargetGroup(target_group_name="api", protocol="HTTP"),
        TG + "y": lb_pb2.TargetGroup(target_group_name="unused", protocol="HTTP"),
    }
    targets = lb.targets_of(task(), LBS, {TG: "web"}, "10.0.0.1", False)
    cfg = lb.config_for([elb], groups, targets)
    assert [b.name for b in cfg.backends] == ["api", "web"]
    assert [s.name for s in cfg.backends[1].servers] == ["abc"]
    assert cfg.frontends[0].routes[0].path_patterns == ["/a/*"]


def svc(desired: int) -> dm.ServiceView:
    return dm.ServiceView(
        name="web",
        desired_count=desired,
        maximum_percent=200,
        minimum_healthy_percent=100,
        deployments=(dm.DeploymentView("d1", "td:1", "PRIMARY", "COMPLETED", NOW),),
    )


def st(task_id: str, **kw) -> dm.ServiceTask:
    base = dict(deployment_id="d1", instance_id="i-1", last_status="RUNNING", desired_status="RUNNING",
                started_at=NOW - timedelta(minutes=5))  # fmt: skip
    base.update(kw)
    return dm.ServiceTask(task_id=task_id, **base)


def test_a_draining_task_counts_as_stopping_not_as_running() -> None:
    tasks = [st("a", lb_health="healthy"), st("b", lb_health="healthy", lb_draining=True)]
    d = dm.decide_replica(svc(1), tasks, NOW)
    assert d.stop == [] and d.start == 0  # b is on its way out; nothing to add or remove
    assert d.counts["d1"] == (1, 0, 0)


def test_a_target_that_is_not_healthy_yet_does_not_count_as_healthy() -> None:
    assert not st("a", lb_health="initial").healthy()
    assert st("a", lb_health="healthy").healthy()
    assert st("a").healthy()  # no load balancer


def test_an_elb_unhealthy_task_is_replaced_after_the_grace_period() -> None:
    view = dm.ServiceView(**{**svc(1).__dict__, "grace_period_seconds": 60})
    young = st("a", lb_health="unhealthy", lb_unhealthy_in=TG, started_at=NOW - timedelta(seconds=10))
    assert dm.decide_replica(view, [young], NOW).stop == []
    old = st("a", lb_health="unhealthy", lb_unhealthy_in=TG)
    [(tid, reason)] = dm.decide_replica(view, [old], NOW).stop
    assert tid == "a" and reason == f"Task failed ELB health checks in (target-group {TG})"


def test_the_controllers_view_of_a_services_targets() -> None:
    from shoal.manager.controllers.services import _LbState

    group = lb_pb2.TargetGroup(target_group_arn=TG, target_group_name="web", deregistration_delay_seconds=30)
    running = task()
    [target] = lb.targets_of(running, LBS, {TG: "web"}, "10.0.0.1", False)
    state = _LbState({TG: group}, [target], [report("UP")], {"web": [EDGE]})
    assert state.health_of(running) == ("healthy", "")
    assert state.health_of(task("PENDING")) == ("initial", "")
    assert _LbState({TG: group}, [target], [report("DOWN", check="L4CON")], {}).health_of(running) == (
        "unhealthy",
        TG,
    )
    # A registered task drains before it stops; one the load balancer found unhealthy does not.
    assert state.should_drain(running, "Service scaled in")
    assert not state.should_drain(running, dm.ELB_UNHEALTHY_REASON.format(target_group=TG))
    drained = state.start_drain(running, "Service scaled in", NOW)
    assert drained.lb_drain_reason == "Service scaled in" and drained.version == running.version + 1
    assert drained.lb_drain_until.ToDatetime(tzinfo=UTC) == NOW + timedelta(seconds=30)
    [d] = lb.targets_of(drained, LBS, {TG: "web"}, "10.0.0.1", False)
    still_open = _LbState({TG: group}, [d], [report("DRAIN", 3)], {"web": [EDGE]})
    assert not still_open.drain_finished(drained, NOW + timedelta(seconds=5))
    assert still_open.drain_finished(drained, NOW + timedelta(seconds=30))  # the delay is over
    closed = _LbState({TG: group}, [d], [report("DRAIN", 0)], {"web": [EDGE]})
    assert closed.drain_finished(drained, NOW + timedelta(seconds=2))  # no connection left
