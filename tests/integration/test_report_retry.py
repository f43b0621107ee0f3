"""Agent reports that etcd could not take are kept and written later, not dropped (real etcd).

The agent sends each report once and its whole state again only after a reconnect, so a report lost
while etcd is slow or without quorum would leave the task's status wrong until the next reconnect.
"""

from __future__ import annotations

import asyncio
import secrets

import pytest

from shoal.core import arns
from shoal.core.errors import Unavailable
from shoal.manager.actions import ControlPlane
from shoal.manager.api import agent as agent_api
from shoal.manager.leader import ProcessLease
from shoal.manager.store.etcd import Store
from shoal.manager.view import View
from shoal.v1 import agent_pb2, ecs_pb2, internal_pb2


@pytest.mark.etcd
@pytest.mark.parametrize("with_view", [False, True])
def test_reports_etcd_refused_are_retried_until_stored(
    etcd_endpoint: str, with_view: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(agent_api, "REPORT_RETRY_SECONDS", 0.05)

    async def body() -> None:
        store = Store([etcd_endpoint], prefix=f"/reports-{secrets.token_hex(4)}/")
        await store.connect()
        view = View(store) if with_view else None
        cp = ControlPlane.build(store, view=view)
        servicer = agent_api.AgentSessionServicer(cp, ProcessLease(store))
        iid, keys = "i-00000000000000aa", store.keys
        instance_arn = arns.instance_arn("c", iid)
        tasks = {}
        for n in range(2):
            arn = f"arn:shoal:ecs:local:000000000000:task/c/{n:032x}"
            tasks[arn] = ecs_pb2.Task(
                task_arn=arn,
                container_instance_arn=instance_arn,
                last_status="PENDING",
                desired_status="RUNNING",
            )
        rev = await store.commit(
            {keys.session("c", iid): internal_pb2.SessionRecord(epoch=1)}
            | {keys.task("c", arn.rsplit("/", 1)[-1]): t for arn, t in tasks.items()}
        )
        session = agent_api._Session("c", iid, instance_arn, 1, rev)

        real_commit, refused = store.commit, []

        async def unreachable_twice(*args: object, **kwargs: object) -> int:
            if len(refused) < 2:
                refused.append(args)
                raise Unavailable("etcd did not answer in time")
            return await real_commit(*args, **kwargs)

        store.commit = unreachable_twice  # type: ignore[method-assign]
        pending: asyncio.Queue[agent_pb2.AgentMessage | None] = asyncio.Queue()
        applier = asyncio.create_task(servicer._apply_reports(session, pending))
        first, second = list(tasks)

        def report(arn: str, status: str) -> agent_pb2.AgentMessage:
            return agent_pb2.AgentMessage(
                task_state=agent_pb2.TaskStateChange(task_arn=arn, last_status=status)
            )

        pending.put_nowait(report(first, "RUNNING"))
        while len(refused) < 1:
            await asyncio.sleep(0.01)
        pending.put_nowait(report(second, "RUNNING"))  # arrives while the first waits to be retried

        async def stored() -> dict[str, str]:
            got = {
                arn: await store.get(keys.task("c", arn.rsplit("/", 1)[-1]), ecs_pb2.Task) for arn in tasks
            }
            return {arn: i.value.last_status for arn, i in got.items() if i is not None}

        for _ in range(200):
            if set((await stored()).values()) == {"RUNNING"}:
                break
            await asyncio.sleep(0.05)
        assert await stored() == {first: "RUNNING", second: "RUNNING"}
        assert len(refused) == 2  # both refusals happened; the reports were not dropped on either
        assert not applier.done()  # the session lives on
        pending.put_nowait(None)
        await asyncio.wait_for(applier, 5)
        if view is not None:
            await view.stop()
        await store.close()

    asyncio.run(asyncio.wait_for(body(), 60))
