"""Instance health: an instance whose session key is gone (its manager died) is marked disconnected."""

from __future__ import annotations

import contextlib

from shoal.core import tasks as task_rules
from shoal.manager.store.etcd import Conflict, Store
from shoal.manager.view import View
from shoal.v1 import ecs_pb2, internal_pb2


async def sweep_disconnected(store: Store, cluster: str, view: View | None = None) -> int:
    """Mark instances disconnected whose agent session no longer exists; returns how many."""
    keys = store.keys
    if view is not None:  # every round, on thousands of instances: the view keeps these apart
        candidates = (await view.read(cluster)).connected_without_session()
    else:
        sessions, _ = await store.list(keys.sessions_prefix(cluster), internal_pb2.SessionRecord)
        live = {keys.last(s.key) for s in sessions}
        items, _ = await store.list(keys.instances_prefix(cluster), ecs_pb2.ContainerInstance)
        candidates = [i for i in items if i.value.agent_connected and i.value.ec2_instance_id not in live]
    marked = 0
    for item in candidates:
        inst = ecs_pb2.ContainerInstance()
        inst.CopyFrom(item.value)  # the view's value is shared
        inst.agent_connected = False
        inst.disconnected_at.CopyFrom(task_rules.now_ts())
        inst.version += 1
        # Fenced on the session key still being absent: an agent registering meanwhile wins (and a
        # conflict is simply looked at again next round).
        with contextlib.suppress(Conflict):
            session_key = keys.session(cluster, inst.ec2_instance_id)
            await store.commit(
                {item.key: inst}, expect_revisions={item.key: item.mod_revision, session_key: 0}
            )
            marked += 1
    return marked
