"""RegisterTaskDefinition, DescribeTaskDefinition, ListTaskDefinitions(/Families), Deregister."""

from __future__ import annotations

from collections.abc import Sequence

from shoal.core import arns, taskdef
from shoal.core import tasks as task_rules
from shoal.core.errors import FailedPrecondition, InvalidArgument, NotFound, quote
from shoal.core.tags import check_tags
from shoal.manager.scheduler import PlacementRequestError, validate_placement
from shoal.manager.scheduler.model import PlacementConstraint
from shoal.manager.store.etcd import Store
from shoal.v1 import ecs_pb2, internal_pb2


class TaskDefinitions:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.keys = store.keys

    async def register(
        self, td: ecs_pb2.TaskDefinition, tags: Sequence[ecs_pb2.Tag] = ()
    ) -> tuple[ecs_pb2.TaskDefinition, list[str]]:
        """The next revision of the family, with the warnings for fields Shoal keeps but does not use."""
        for name in ("task_definition_arn", "revision", "status", "registered_at", "deregistered_at"):
            td.ClearField(name)
        warnings = taskdef.validate_task_definition(td)
        check_tags(tags)
        try:
            validate_placement(
                [],
                [PlacementConstraint(c.type, c.expression) for c in td.placement_constraints],
                in_task_definition=True,
            )
        except PlacementRequestError as exc:
            raise InvalidArgument(exc.field, exc.message) from exc
        family_key = self.keys.family(td.family)

        async def attempt() -> ecs_pb2.TaskDefinition:
            # A conflict means another registration of this family won the revision: take the next.
            item = await self.store.get(family_key, internal_pb2.FamilyRecord)
            record = item.value if item else internal_pb2.FamilyRecord(family=td.family)
            record.latest_revision += 1
            td.revision = record.latest_revision
            td.task_definition_arn = arns.task_definition_arn(td.family, td.revision)
            td.status = "ACTIVE"
            td.compatibilities[:] = ["EC2"]
            td.registered_at.CopyFrom(task_rules.now_ts())
            td.registered_by = "shoal"
            puts = {family_key: record, self.keys.task_definition(td.family, td.revision): td}
            if tags:
                puts[self.keys.task_definition_tags(td.family, td.revision)] = internal_pb2.TagList(
                    tags=list(tags)
                )
            await self.store.commit(puts, expect_revisions={family_key: item.mod_revision if item else 0})
            return td

        return await self.store.optimistic(attempt, what=f"task definition family {td.family}"), warnings

    async def describe(self, ref: str, field: str = "taskDefinition") -> ecs_pb2.TaskDefinition:
        """FAMILY (latest ACTIVE), FAMILY:REVISION or ARN."""
        family, revision = arns.parse_task_definition_ref(ref, field)
        if revision is not None:
            item = await self.store.get(self.keys.task_definition(family, revision), ecs_pb2.TaskDefinition)
            if item is None:
                raise NotFound(f"task definition {family}:{revision} not found", field=field)
            return item.value
        items, _ = await self.store.list(self.keys.task_definitions_prefix(family), ecs_pb2.TaskDefinition)
        active = [i.value for i in items if i.value.status == "ACTIVE"]
        if not active:
            detail = "has no ACTIVE revision" if items else "not found"
            raise NotFound(f"task definition family {quote(family)} {detail}", field=field)
        return max(active, key=lambda t: t.revision)

    async def tags(self, td: ecs_pb2.TaskDefinition) -> list[ecs_pb2.Tag]:
        item = await self.store.get(
            self.keys.task_definition_tags(td.family, td.revision), internal_pb2.TagList
        )
        return list(item.value.tags) if item else []

    async def active(self, ref: str, field: str = "taskDefinition") -> ecs_pb2.TaskDefinition:
        """The revision named, which must be ACTIVE to start tasks from it."""
        td = await self.describe(ref, field)
        if td.status != "ACTIVE":
            raise FailedPrecondition(
                f"task definition {td.family}:{td.revision} is {td.status}; register a new revision",
                field=field,
                reason="TASK_DEFINITION_INACTIVE",
            )
        return td

    async def list(self, family_prefix: str, status: str, sort: str) -> list[str]:
        status = status or "ACTIVE"
        if status not in ("ACTIVE", "INACTIVE"):
            raise InvalidArgument("status", f"{quote(status)} must be ACTIVE or INACTIVE")
        sort = sort or "ASC"
        if sort not in ("ASC", "DESC"):
            raise InvalidArgument("sort", f"{quote(sort)} must be ASC or DESC")
        tds = sorted(
            (t for t in await self._by_prefix(family_prefix) if t.status == status),
            key=lambda t: (t.family, t.revision),
            reverse=sort == "DESC",
        )
        return [t.task_definition_arn for t in tds]

    async def families(self, family_prefix: str, status: str) -> list[str]:
        status = status or "ACTIVE"
        if status not in ("ACTIVE", "INACTIVE", "ALL"):
            raise InvalidArgument("status", f"{quote(status)} must be ACTIVE, INACTIVE or ALL")
        families: dict[str, set[str]] = {}
        for t in await self._by_prefix(family_prefix):
            families.setdefault(t.family, set()).add(t.status)
        if status == "ALL":
            return sorted(families)
        if status == "ACTIVE":
            return sorted(f for f, s in families.items() if "ACTIVE" in s)
        return sorted(f for f, s in families.items() if "ACTIVE" not in s)

    async def _by_prefix(self, family_prefix: str) -> list[ecs_pb2.TaskDefinition]:
        key = self.keys.task_definitions_by_family_prefix(family_prefix)
        items, _ = await self.store.list(key, ecs_pb2.TaskDefinition)
        return [i.value for i in items]

    async def deregister(self, ref: str) -> ecs_pb2.TaskDefinition:
        family, revision = arns.parse_task_definition_ref(ref)
        if revision is None:
            raise InvalidArgument(
                "taskDefinition", f"{quote(ref)}: name a revision (family:revision) to deregister"
            )

        def mutate(td: ecs_pb2.TaskDefinition | None) -> ecs_pb2.TaskDefinition | None:
            if td is None:
                raise NotFound(f"task definition {family}:{revision} not found", field="taskDefinition")
            if td.status == "INACTIVE":
                return None
            td.status = "INACTIVE"
            td.deregistered_at.CopyFrom(task_rules.now_ts())
            return td

        result = await self.store.update(
            self.keys.task_definition(family, revision), ecs_pb2.TaskDefinition, mutate
        )
        assert result is not None
        return result
