"""Target groups, load balancers, listeners and rules (ELBv2 shapes), and what the load balancing
rules (shoal.core.lb) need from etcd: targets, proxy reports, and each proxy instance's configuration."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC

from shoal.core import arns
from shoal.core import lb as lb_rules
from shoal.core import tasks as task_rules
from shoal.core.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound, quote
from shoal.core.taskdef import has_health_check, is_essential
from shoal.manager import resources
from shoal.manager.actions.clusters import Clusters
from shoal.manager.actions.reads import Reads
from shoal.manager.actions.task_definitions import TaskDefinitions
from shoal.manager.scheduler import filter_instances
from shoal.manager.scheduler.cql import CQLSyntaxError, parse
from shoal.manager.store.etcd import Conflict, Store
from shoal.v1 import ecs_pb2, lb_pb2

ELB_PREFIX = f"arn:shoal:elasticloadbalancing:{arns.REGION}:{arns.ACCOUNT}:"
MAX_LOAD_BALANCERS_PER_SERVICE = 5


def target_group_arn(name: str, uid: str) -> str:
    return f"{ELB_PREFIX}targetgroup/{name}/{uid}"


def load_balancer_arn(name: str, uid: str) -> str:
    return f"{ELB_PREFIX}loadbalancer/app/{name}/{uid}"


def _name_of(ref: str, kind: str, field: str) -> str:
    """The name in `<kind>/NAME/…` of one of our ARNs, or the reference itself when it is a name."""
    if not ref:
        raise InvalidArgument(field, "is required")
    if ref.startswith("arn:"):
        head = f"{ELB_PREFIX}{kind}/"
        if not ref.startswith(head):
            raise InvalidArgument(field, f"{quote(ref)} is not a {kind} ARN")
        rest = ref[len(head) :].split("/")
        return rest[1] if kind == "loadbalancer" and len(rest) > 1 else rest[0]
    if not lb_rules.NAME_RE.fullmatch(ref):
        raise InvalidArgument(field, f"{quote(ref)} is not a name (1-32 letters, digits and hyphens)")
    return ref


def _check_name(name: str, field: str) -> None:
    if not lb_rules.NAME_RE.fullmatch(name or ""):
        raise InvalidArgument(
            field, f"{quote(name)} must be 1-32 letters, digits and hyphens, not starting or ending with '-'"
        )


def _check_range(value: int, low: int, high: int, field: str) -> None:
    if not low <= value <= high:
        raise InvalidArgument(field, f"must be between {low} and {high}, got {value}")


@dataclass
class ClusterTargets:
    """A cluster's load-balanced targets and proxy reports, read once."""

    targets: list[lb_rules.Target]
    reports: list[lb_rules.Report]
    proxies: dict[str, list[str]]  # target group name -> instance ARNs whose proxy carries it


class LoadBalancers:
    def __init__(
        self, store: Store, clusters: Clusters, reader: Reads, task_definitions: TaskDefinitions
    ) -> None:
        self.store = store
        self.keys = store.keys
        self.clusters = clusters
        self.reader = reader
        self.task_definitions = task_definitions
        self._health_checks: dict[str, bool] = {}

    # -- target groups ------------------------------------------------------------------------------
    async def create_target_group(self, req: lb_pb2.CreateTargetGroupRequest) -> lb_pb2.TargetGroup:
        _check_name(req.name, "name")
        if req.protocol not in lb_rules.PROTOCOLS:
            raise InvalidArgument("protocol", f"{quote(req.protocol)} must be HTTP or TCP")
        _check_range(req.port, 1, 65535, "port")
        hc_protocol = req.health_check_protocol or req.protocol
        if hc_protocol not in lb_rules.PROTOCOLS:
            raise InvalidArgument("healthCheckProtocol", f"{quote(hc_protocol)} must be HTTP or TCP")
        tg = lb_pb2.TargetGroup(
            target_group_arn=target_group_arn(req.name, secrets.token_hex(8)),
            target_group_name=req.name,
            protocol=req.protocol,
            port=req.port,
            health_check_protocol=hc_protocol,
            health_check_interval_seconds=req.health_check_interval_seconds
            if req.HasField("health_check_interval_seconds")
            else 30,
            health_check_timeout_seconds=req.health_check_timeout_seconds
            if req.HasField("health_check_timeout_seconds")
            else 5,
            healthy_threshold_count=req.healthy_threshold_count
            if req.HasField("healthy_threshold_count")
            else 5,
            unhealthy_threshold_count=req.unhealthy_threshold_count
            if req.HasField("unhealthy_threshold_count")
            else 2,
            deregistration_delay_seconds=req.deregistration_delay_seconds
            if req.HasField("deregistration_delay_seconds")
            else 300,
            target_type="instance",
        )
        _check_range(tg.health_check_interval_seconds, 1, 300, "healthCheckIntervalSeconds")
        _check_range(tg.health_check_timeout_seconds, 1, 120, "healthCheckTimeoutSeconds")
        _check_range(tg.healthy_threshold_count, 1, 10, "healthyThresholdCount")
        _check_range(tg.unhealthy_threshold_count, 1, 10, "unhealthyThresholdCount")
        _check_range(tg.deregistration_delay_seconds, 0, 3600, "deregistrationDelay")
        if hc_protocol == "HTTP":
            path = req.health_check_path or "/"
            if not path.startswith("/") or len(path) > 1024 or any(ch.isspace() for ch in path):
                raise InvalidArgument("healthCheckPath", f"{quote(path)} must be a path starting with /")
            code = req.matcher.http_code or "200"
            problem = lb_rules.validate_matcher(code)
            if problem:
                raise InvalidArgument("matcher.httpCode", problem)
            tg.health_check_path = path
            tg.matcher.http_code = code
        elif req.health_check_path or req.matcher.http_code:
            raise InvalidArgument("healthCheckPath", "a TCP health check has no path or matcher")
        tg.created_at.CopyFrom(task_rules.now_ts())
        key = self.keys.target_group(req.name)
        try:
            await self.store.commit({key: tg}, expect_revisions={key: 0})
        except Conflict:
            raise AlreadyExists(
                f"a target group named {quote(req.name)} already exists", field="name"
            ) from None
        return tg

    async def target_group(self, ref: str, field: str = "targetGroupArn") -> lb_pb2.TargetGroup:
        name = _name_of(ref, "targetgroup", field)
        item = await self.store.get(self.keys.target_group(name), lb_pb2.TargetGroup)
        if item is None or (ref.startswith("arn:") and item.value.target_group_arn != ref):
            raise NotFound(
                f"{field}: target group {quote(ref)} not found", field=field, reason="TARGET_GROUP_NOT_FOUND"
            )
        return item.value

    async def _all_target_groups(self) -> dict[str, lb_pb2.TargetGroup]:
        items, _ = await self.store.list(self.keys.target_groups_prefix(), lb_pb2.TargetGroup)
        return {i.value.target_group_arn: i.value for i in items}

    async def _all_load_balancers(self) -> list[lb_pb2.ElbLoadBalancer]:
        items, _ = await self.store.list(self.keys.load_balancers_prefix(), lb_pb2.ElbLoadBalancer)
        return [i.value for i in items]

    def _with_lbs(self, tg: lb_pb2.TargetGroup, lbs: Sequence[lb_pb2.ElbLoadBalancer]) -> lb_pb2.TargetGroup:
        out = lb_pb2.TargetGroup()
        out.CopyFrom(tg)
        out.load_balancer_arns.extend(
            lb.load_balancer_arn for lb in lbs if tg.target_group_arn in _used_groups(lb)
        )
        return out

    async def describe_target_groups(
        self, req: lb_pb2.DescribeTargetGroupsRequest
    ) -> list[lb_pb2.TargetGroup]:
        lbs = await self._all_load_balancers()
        if req.names or req.target_group_arns:
            refs = [(n, "names") for n in req.names] + [(a, "targetGroupArns") for a in req.target_group_arns]
            groups = [await self.target_group(r, f) for r, f in refs]
        else:
            groups = sorted((await self._all_target_groups()).values(), key=lambda t: t.target_group_name)
        out = [self._with_lbs(tg, lbs) for tg in groups]
        if req.load_balancer_arn:
            lb = await self.load_balancer(req.load_balancer_arn)
            out = [tg for tg in out if lb.load_balancer_arn in tg.load_balancer_arns]
        return out

    async def delete_target_group(self, ref: str) -> None:
        tg = await self.target_group(ref)
        for lb in await self._all_load_balancers():
            if tg.target_group_arn in _used_groups(lb):
                raise FailedPrecondition(
                    f"target group {tg.target_group_name} is in use by load balancer {lb.load_balancer_name}",
                    field="targetGroupArn",
                    reason="RESOURCE_IN_USE",
                )
        services, _ = await self.store.list(self.keys.kind_prefix("services"), ecs_pb2.Service)
        for s in services:
            if s.value.status != "INACTIVE" and any(
                x.target_group_arn == tg.target_group_arn for x in s.value.load_balancers
            ):
                raise FailedPrecondition(
                    f"target group {tg.target_group_name} is in use by service {s.value.service_name}",
                    field="targetGroupArn",
                    reason="RESOURCE_IN_USE",
                )
        await self.store.delete(self.keys.target_group(tg.target_group_name))

    # -- load balancers, listeners, rules ----------------------------------------------------------
    async def create_load_balancer(self, req: lb_pb2.CreateLoadBalancerRequest) -> lb_pb2.ElbLoadBalancer:
        _check_name(req.name, "name")
        cluster = await self.clusters.get(req.cluster)
        if req.placement:
            try:
                parse(req.placement)
            except CQLSyntaxError as exc:
                raise InvalidArgument("placement", exc.message) from exc
        lb = lb_pb2.ElbLoadBalancer(
            load_balancer_arn=load_balancer_arn(req.name, secrets.token_hex(8)),
            load_balancer_name=req.name,
            cluster_arn=cluster.cluster_arn,
            placement=req.placement,
        )
        lb.created_at.CopyFrom(task_rules.now_ts())
        key = self.keys.load_balancer(req.name)
        try:
            await self.store.commit({key: lb}, expect_revisions={key: 0})
        except Conflict:
            raise AlreadyExists(
                f"a load balancer named {quote(req.name)} already exists", field="name"
            ) from None
        return await self._described(lb)

    async def load_balancer(self, ref: str, field: str = "loadBalancerArn") -> lb_pb2.ElbLoadBalancer:
        name = _name_of(ref, "loadbalancer", field)
        item = await self.store.get(self.keys.load_balancer(name), lb_pb2.ElbLoadBalancer)
        if item is None or (ref.startswith("arn:") and item.value.load_balancer_arn != ref):
            raise NotFound(
                f"{field}: load balancer {quote(ref)} not found",
                field=field,
                reason="LOAD_BALANCER_NOT_FOUND",
            )
        return item.value

    async def carriers(self, lb: lb_pb2.ElbLoadBalancer) -> list[ecs_pb2.ContainerInstance]:
        """The ACTIVE instances of the load balancer's cluster its placement expression chooses."""
        cluster = lb.cluster_arn.rsplit("/", 1)[-1]
        instances = [i for i in await self.reader.instances(cluster) if i.status == "ACTIVE"]
        if not lb.placement or not instances:
            return instances
        snapshot = resources.build_snapshot(instances, [])
        keep = set(filter_instances(snapshot, lb.placement))
        return [i for i in instances if i.ec2_instance_id in keep]

    async def _described(self, lb: lb_pb2.ElbLoadBalancer) -> lb_pb2.ElbLoadBalancer:
        out = lb_pb2.ElbLoadBalancer()
        out.CopyFrom(lb)
        for inst in await self.carriers(lb):
            zone = next((a.value for a in inst.attributes if a.name == "ecs.availability-zone"), "")
            out.addresses.add(
                ip_address=inst.host_ip,
                container_instance_arn=inst.container_instance_arn,
                availability_zone=zone,
            )
        out.state = "active" if out.addresses else "provisioning"
        return out

    async def describe_load_balancers(
        self, req: lb_pb2.DescribeLoadBalancersRequest
    ) -> list[lb_pb2.ElbLoadBalancer]:
        if req.names or req.load_balancer_arns:
            refs = [(n, "names") for n in req.names] + [
                (a, "loadBalancerArns") for a in req.load_balancer_arns
            ]
            lbs = [await self.load_balancer(r, f) for r, f in refs]
        else:
            lbs = sorted(await self._all_load_balancers(), key=lambda lb: lb.load_balancer_name)
        return [await self._described(lb) for lb in lbs]

    async def delete_load_balancer(self, ref: str) -> None:
        lb = await self.load_balancer(ref)
        await self.store.delete(self.keys.load_balancer(lb.load_balancer_name))

    async def _update_lb(self, name: str, mutate) -> lb_pb2.ElbLoadBalancer:
        def apply(lb: lb_pb2.ElbLoadBalancer | None) -> lb_pb2.ElbLoadBalancer:
            if lb is None:
                raise NotFound(f"load balancer {quote(name)} not found", field="loadBalancerArn")
            mutate(lb)
            return lb

        result = await self.store.update(self.keys.load_balancer(name), lb_pb2.ElbLoadBalancer, apply)
        assert result is not None
        return result

    async def create_listener(self, req: lb_pb2.CreateListenerRequest) -> lb_pb2.Listener:
        lb = await self.load_balancer(req.load_balancer_arn)
        _check_range(req.port, 1, 65535, "port")
        if req.protocol not in lb_rules.PROTOCOLS:
            raise InvalidArgument("protocol", f"{quote(req.protocol)} must be HTTP or TCP")
        tg = await self.target_group(req.default_target_group_arn, "defaultActions.targetGroupArn")
        if tg.protocol != req.protocol:
            raise InvalidArgument(
                "defaultActions.targetGroupArn",
                f"target group {tg.target_group_name} is {tg.protocol}; a {req.protocol} listener needs "
                f"a {req.protocol} target group",
            )
        listener = lb_pb2.Listener(
            listener_arn=lb.load_balancer_arn.replace(":loadbalancer/", ":listener/")
            + "/"
            + secrets.token_hex(8),
            load_balancer_arn=lb.load_balancer_arn,
            port=req.port,
            protocol=req.protocol,
            default_target_group_arn=tg.target_group_arn,
        )

        def add(current: lb_pb2.ElbLoadBalancer) -> None:
            if any(ls.port == req.port for ls in current.listeners):
                raise AlreadyExists(
                    f"load balancer {lb.load_balancer_name} already has a listener on port {req.port}",
                    field="port",
                    reason="DUPLICATE_LISTENER",
                )
            current.listeners.append(listener)

        await self._update_lb(lb.load_balancer_name, add)
        return listener

    def _listener_lb(self, listener_arn: str, field: str) -> str:
        head = f"{ELB_PREFIX}listener/app/"
        if not listener_arn.startswith(head) or len(listener_arn[len(head) :].split("/")) < 3:
            raise InvalidArgument(field, f"{quote(listener_arn)} is not a listener ARN")
        return listener_arn[len(head) :].split("/")[0]

    async def delete_listener(self, listener_arn: str) -> None:
        name = self._listener_lb(listener_arn, "listenerArn")

        def drop(lb: lb_pb2.ElbLoadBalancer) -> None:
            keep = [ls for ls in lb.listeners if ls.listener_arn != listener_arn]
            if len(keep) == len(lb.listeners):
                raise NotFound(f"listener {quote(listener_arn)} not found", field="listenerArn")
            del lb.listeners[:]
            lb.listeners.extend(keep)

        await self._update_lb(name, drop)

    async def create_rule(self, req: lb_pb2.CreateRuleRequest) -> lb_pb2.Rule:
        name = self._listener_lb(req.listener_arn, "listenerArn")
        _check_range(req.priority, 1, 50000, "priority")
        if not req.conditions:
            raise InvalidArgument("conditions", "needs at least one path-pattern or host-header condition")
        for n, c in enumerate(req.conditions):
            if c.field not in ("path-pattern", "host-header"):
                raise InvalidArgument(
                    f"conditions[{n}].field", f"{quote(c.field)} must be path-pattern or host-header"
                )
            if not c.values:
                raise InvalidArgument(f"conditions[{n}].values", "needs at least one value")
            for v in c.values:
                if not v or len(v) > 128 or any(ch.isspace() for ch in v):
                    raise InvalidArgument(
                        f"conditions[{n}].values", f"{quote(v)}: 1-128 characters, no spaces"
                    )
        tg = await self.target_group(req.target_group_arn, "actions.targetGroupArn")
        rule = lb_pb2.Rule(
            rule_arn=req.listener_arn.replace(":listener/", ":listener-rule/") + "/" + secrets.token_hex(8),
            priority=req.priority,
            conditions=req.conditions,
            target_group_arn=tg.target_group_arn,
        )

        def add(lb: lb_pb2.ElbLoadBalancer) -> None:
            ls = next((ls for ls in lb.listeners if ls.listener_arn == req.listener_arn), None)
            if ls is None:
                raise NotFound(f"listener {quote(req.listener_arn)} not found", field="listenerArn")
            if ls.protocol != "HTTP" or tg.protocol != "HTTP":
                raise InvalidArgument("listenerArn", "rules need an HTTP listener and an HTTP target group")
            if any(r.priority == req.priority for r in ls.rules):
                raise AlreadyExists(f"priority {req.priority} is in use on this listener", field="priority")
            ls.rules.append(rule)

        await self._update_lb(name, add)
        return rule

    async def delete_rule(self, rule_arn: str) -> None:
        head = f"{ELB_PREFIX}listener-rule/app/"
        if not rule_arn.startswith(head):
            raise InvalidArgument("ruleArn", f"{quote(rule_arn)} is not a rule ARN")
        name = rule_arn[len(head) :].split("/")[0]

        def drop(lb: lb_pb2.ElbLoadBalancer) -> None:
            for ls in lb.listeners:
                keep = [r for r in ls.rules if r.rule_arn != rule_arn]
                if len(keep) != len(ls.rules):
                    del ls.rules[:]
                    ls.rules.extend(keep)
                    return
            raise NotFound(f"rule {quote(rule_arn)} not found", field="ruleArn")

        await self._update_lb(name, drop)

    # -- services ----------------------------------------------------------------------------------
    async def check_service(self, lbs: Sequence[ecs_pb2.LoadBalancer], td: ecs_pb2.TaskDefinition) -> None:
        """ECS's checks of a service's loadBalancers against the target groups and its task definition."""
        if len(lbs) > MAX_LOAD_BALANCERS_PER_SERVICE:
            raise InvalidArgument(
                "loadBalancers", f"at most {MAX_LOAD_BALANCERS_PER_SERVICE}, got {len(lbs)}"
            )
        seen = set()
        for n, x in enumerate(lbs):
            f = f"loadBalancers[{n}]"
            if x.load_balancer_name:
                raise InvalidArgument(
                    f + ".loadBalancerName", "Classic Load Balancers are not supported; give targetGroupArn"
                )
            tg = await self.target_group(x.target_group_arn, f + ".targetGroupArn")
            if not any(tg.target_group_arn in _used_groups(lb) for lb in await self._all_load_balancers()):
                raise InvalidArgument(
                    f + ".targetGroupArn",
                    f"the target group {tg.target_group_name} does not have an associated load balancer",
                )
            c = next((c for c in td.container_definitions if c.name == x.container_name), None)
            if c is None:
                raise InvalidArgument(
                    f + ".containerName",
                    f"{quote(x.container_name)} is not a container of {td.family}:{td.revision}",
                )
            if not any(
                pm.container_port == x.container_port and (pm.protocol or "tcp") == "tcp"
                for pm in c.port_mappings
            ):
                raise InvalidArgument(
                    f + ".containerPort",
                    f"container {c.name} has no tcp portMapping with containerPort {x.container_port}",
                )
            if (x.target_group_arn, x.container_name, x.container_port) in seen:
                raise InvalidArgument(f, "is listed twice")
            seen.add((x.target_group_arn, x.container_name, x.container_port))

    # -- targets, reports and proxy configurations -------------------------------------------------
    async def _has_health_check(self, td_arn: str) -> bool:
        known = self._health_checks.get(td_arn)
        if known is None:
            td = await self.task_definitions.describe(td_arn)
            known = any(has_health_check(c) and is_essential(c) for c in td.container_definitions)
            self._health_checks[td_arn] = known
        return known

    async def cluster_targets(
        self,
        cluster: str,
        target_groups: dict[str, lb_pb2.TargetGroup] | None = None,
        lbs: Sequence[lb_pb2.ElbLoadBalancer] | None = None,
    ) -> ClusterTargets:
        target_groups = await self._all_target_groups() if target_groups is None else target_groups
        lbs = await self._all_load_balancers() if lbs is None else lbs
        names = {arn: tg.target_group_name for arn, tg in target_groups.items()}
        instances = {i.container_instance_arn: i for i in await self.reader.instances(cluster)}
        services = {s.value.service_name: s.value for s in await self.reader.services(cluster)}
        targets: list[lb_rules.Target] = []
        for t in await self.reader.live_tasks(cluster):
            svc = services.get(t.group.removeprefix("service:")) if t.group.startswith("service:") else None
            if svc is None or not svc.load_balancers:
                continue
            inst = instances.get(t.container_instance_arn)
            targets += lb_rules.targets_of(
                t,
                svc.load_balancers,
                names,
                inst.host_ip if inst else "",
                await self._has_health_check(t.task_definition_arn),
            )
        items, _ = await self.store.list(self.keys.lb_status_prefix(cluster), lb_pb2.LbStatusRecord)
        reports = [
            lb_rules.Report(
                i.value.container_instance_arn, i.value.reported_at.ToDatetime(tzinfo=UTC), i.value.status
            )
            for i in items
        ]
        proxies: dict[str, list[str]] = {}
        cluster_arn = arns.cluster_arn(cluster)
        for lb in lbs:
            if lb.cluster_arn != cluster_arn:
                continue
            carriers = [i.container_instance_arn for i in await self.carriers(lb) if i.agent_connected]
            for arn in _used_groups(lb):
                if arn in names:
                    proxies.setdefault(names[arn], []).extend(carriers)
        return ClusterTargets(targets, reports, proxies)

    async def describe_target_health(self, ref: str) -> list[lb_pb2.TargetHealthDescription]:
        tg = await self.target_group(ref)
        lbs = await self._all_load_balancers()
        clusters = sorted(
            {lb.cluster_arn.rsplit("/", 1)[-1] for lb in lbs} | await self._service_clusters(tg)
        )
        out = []
        for cluster in clusters:
            ct = await self.cluster_targets(cluster, lbs=lbs)
            for t in ct.targets:
                if t.target_group == tg.target_group_name:
                    d = lb_rules.health(t, ct.reports)
                    if not ct.proxies.get(t.target_group) and not t.draining:
                        d.target_health.state, d.target_health.reason = "unused", "Target.NotInUse"
                        d.target_health.description = "Target group is not used by any load balancer"
                    out.append(d)
        return out

    async def _service_clusters(self, tg: lb_pb2.TargetGroup) -> set[str]:
        services, _ = await self.store.list(self.keys.kind_prefix("services"), ecs_pb2.Service)
        return {
            s.value.cluster_arn.rsplit("/", 1)[-1]
            for s in services
            if any(x.target_group_arn == tg.target_group_arn for x in s.value.load_balancers)
        }

    async def configs(self, cluster: str) -> dict[str, lb_pb2.LbConfig]:
        """Instance ARN -> the proxy configuration of every instance of the cluster that carries a load
        balancer (instances not listed carry none)."""
        cluster_arn = arns.cluster_arn(cluster)
        lbs = [lb for lb in await self._all_load_balancers() if lb.cluster_arn == cluster_arn]
        if not lbs:
            return {}
        target_groups = await self._all_target_groups()
        ct = await self.cluster_targets(cluster, target_groups, lbs)
        carried: dict[str, list[lb_pb2.ElbLoadBalancer]] = {}
        for lb in lbs:
            for inst in await self.carriers(lb):
                carried.setdefault(inst.container_instance_arn, []).append(lb)
        return {arn: lb_rules.config_for(mine, target_groups, ct.targets) for arn, mine in carried.items()}


def _used_groups(lb: lb_pb2.ElbLoadBalancer) -> set[str]:
    used = set()
    for ls in lb.listeners:
        used.add(ls.default_target_group_arn)
        used.update(r.target_group_arn for r in ls.rules)
    return used
