"""RunTask and the service controller share a cluster's placement lock only while placing: a round
that reads and decides (the long part with thousands of tasks) does not keep RunTask waiting."""

from __future__ import annotations

import asyncio
import secrets
import time

import pytest

from shoal.manager.actions import ControlPlane
from shoal.manager.actions.tasks import RunTaskInput
from shoal.manager.controllers.services import ServiceController
from shoal.manager.store.etcd import Store
from shoal.manager.view import View
from shoal.v1 import api_pb2
from tests.integration.controller_setup import one_instance_cluster

ROUND_PAUSE = 1.5  # a round that takes this long between its read and its decision


@pytest.mark.etcd
def test_run_task_does_not_wait_for_a_round_that_places_nothing(etcd_endpoint: str) -> None:
    async def main() -> None:
        store = Store([etcd_endpoint], prefix=f"/lock-{secrets.token_hex(4)}/")
        await store.connect()
        view = View(store)
        view.start()
        try:
            cp = ControlPlane.build(store, view=view)
            await one_instance_cluster(store, cp)
            await cp.services.create_service(
                api_pb2.CreateServiceRequest(service_name="web", task_definition="web", desired_count=1)
            )
            ctl = ServiceController(cp)
            await ctl.reconcile_cluster("default")  # places the service's task
            assert len((await view.read("default")).tasks) == 1

            # The next round finds nothing to place, but something in it is slow (an etcd read).
            service_view = ctl._service_view
            in_round = asyncio.Event()

            async def slow(svc):
                in_round.set()
                await asyncio.sleep(ROUND_PAUSE)
                return await service_view(svc)

            ctl._service_view = slow  # type: ignore[method-assign]
            ctl._quiet.clear()
            round_ = asyncio.create_task(ctl.reconcile_cluster("default"))
            await asyncio.wait_for(in_round.wait(), 10)
            started = time.perf_counter()
            tasks, failures = await cp.tasks.run(RunTaskInput(cluster="default", task_definition="web"))
            took = time.perf_counter() - started
            assert len(tasks) == 1 and not failures
            assert not round_.done()
            assert took < ROUND_PAUSE / 2, f"RunTask waited {took:.2f} s for the controller's round"
            await round_
            # Both writes are in etcd: the service's task and RunTask's.
            assert len((await view.read("default")).tasks) == 2
        finally:
            await view.stop()
            await store.close()

    asyncio.run(asyncio.wait_for(main(), 60))
