"""The controller's rounds reuse what they built of tasks that did not change, and only those."""

from __future__ import annotations

import asyncio
import secrets

import pytest

from shoal.manager.actions import ControlPlane
from shoal.manager.controllers import services as services_mod
from shoal.manager.controllers.services import ServiceController
from shoal.manager.store.etcd import Store
from shoal.manager.view import View
from shoal.v1 import api_pb2, ecs_pb2
from tests.integration.controller_setup import INSTANCE_ID, one_instance_cluster


@pytest.mark.etcd
def test_a_round_rebuilds_exactly_the_tasks_that_changed(etcd_endpoint: str, monkeypatch) -> None:
    seen: list[list] = []  # the tasks each round decided on
    decide = services_mod.dm.decide_replica

    def recording(view, tasks, now, scale_in):
        seen.append(list(tasks))
        return decide(view, tasks, now, scale_in)

    monkeypatch.setattr(services_mod.dm, "decide_replica", recording)

    async def main() -> None:
        store = Store([etcd_endpoint], prefix=f"/cache-{secrets.token_hex(4)}/")
        await store.connect()
        view = View(store)
        view.start()
        keys = store.keys
        try:
            cp = ControlPlane.build(store, view=view)
            await one_instance_cluster(store, cp)
            await cp.services.create_service(
                api_pb2.CreateServiceRequest(service_name="web", task_definition="web", desired_count=3)
            )
            ctl = ServiceController(cp)

            async def round_() -> dict[str, object]:
                ctl._quiet.clear()
                await ctl.reconcile_cluster("default")
                return {t.task_id: t for t in seen[-1]}

            await round_()  # places the three tasks
            first = await round_()
            assert len(first) == 3 and {t.last_status for t in first.values()} == {"PENDING"}
            again = await round_()
            assert all(again[tid] is first[tid] for tid in first), "nothing changed: nothing rebuilt"

            # The agent reports one task RUNNING: that one is rebuilt, the others are reused.
            changed = sorted(first)[0]
            item = (await view.read("default")).tasks[changed]
            running = ecs_pb2.Task()
            running.CopyFrom(item.value)
            running.last_status = "RUNNING"
            running.started_at.GetCurrentTime()
            await store.commit({item.key: running}, expect_revisions={item.key: item.mod_revision})
            after = await round_()
            assert after[changed].last_status == "RUNNING" and after[changed].started_at is not None
            assert all(after[tid] is first[tid] for tid in first if tid != changed)

            # The instance drains: its state is part of every task's picture, so all are rebuilt.
            ikey = keys.instance("default", INSTANCE_ID)
            current = await store.get(ikey, ecs_pb2.ContainerInstance)
            assert current is not None
            draining = ecs_pb2.ContainerInstance()
            draining.CopyFrom(current.value)
            draining.status = "DRAINING"
            draining.version += 1
            await store.commit({ikey: draining}, expect_revisions={ikey: current.mod_revision})
            drained = await round_()
            assert {t.instance_state for t in drained.values() if t.task_id in first} == {"draining"}
        finally:
            await view.stop()
            await store.close()

    asyncio.run(main())
