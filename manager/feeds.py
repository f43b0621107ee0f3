"""One list-then-watch of a cluster's tasks per manager process, fanned out to the agent sessions.

Without it every session would watch (and decode) every task change of its cluster.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from shoal.manager.store.etcd import Compacted, Store
from shoal.v1 import ecs_pb2

log = logging.getLogger(__name__)


@dataclass
class Update:
    """What a subscriber receives: the whole set of its instance's tasks, or some changed ones."""

    full: bool
    tasks: list[ecs_pb2.Task]


@dataclass
class _Feed:
    # instance arn -> task key -> task: a session subscribing costs its own tasks, not the cluster's
    by_instance: dict[str, dict[str, ecs_pb2.Task]] = field(default_factory=dict)
    subscribers: dict[str, set[asyncio.Queue[Update]]] = field(default_factory=dict)  # instance arn -> queues
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    runner: asyncio.Task | None = None
    _instance_of: dict[str, str] = field(default_factory=dict)  # task key -> instance arn

    def of_instance(self, instance_arn: str) -> list[ecs_pb2.Task]:
        return list(self.by_instance.get(instance_arn, {}).values())

    def reset(self, items: list[tuple[str, ecs_pb2.Task]]) -> None:
        self.by_instance, self._instance_of = {}, {}
        for key, task in items:
            self.put(key, task)

    def put(self, key: str, task: ecs_pb2.Task | None) -> None:
        old = self._instance_of.pop(key, None)
        if old is not None:
            tasks = self.by_instance.get(old, {})
            tasks.pop(key, None)
            if not tasks:
                self.by_instance.pop(old, None)
        if task is not None:
            self._instance_of[key] = task.container_instance_arn
            self.by_instance.setdefault(task.container_instance_arn, {})[key] = task


class TaskFeeds:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._feeds: dict[str, _Feed] = {}

    @contextlib.asynccontextmanager
    async def subscribe(self, cluster: str, instance_arn: str):
        """A queue of Updates for one instance, starting with its full task set."""
        feed = self._feeds.get(cluster)
        if feed is None:
            feed = self._feeds[cluster] = _Feed()
            feed.runner = asyncio.create_task(self._run(cluster, feed))
        await feed.ready.wait()
        queue: asyncio.Queue[Update] = asyncio.Queue()
        # Same event-loop step as the registration: no change can fall between the two.
        queue.put_nowait(Update(True, feed.of_instance(instance_arn)))
        feed.subscribers.setdefault(instance_arn, set()).add(queue)
        try:
            yield queue
        finally:
            feed.subscribers.get(instance_arn, set()).discard(queue)

    async def _run(self, cluster: str, feed: _Feed) -> None:
        prefix = self.store.keys.tasks_prefix(cluster)
        while True:
            try:
                items, revision = await self.store.list(prefix, ecs_pb2.Task)
                feed.reset([(i.key, i.value) for i in items])
                feed.ready.set()
                for instance_arn, queues in feed.subscribers.items():
                    for q in queues:
                        q.put_nowait(Update(True, feed.of_instance(instance_arn)))
                watch = self.store.watch(prefix, ecs_pb2.Task, revision + 1)
                async with contextlib.aclosing(watch):  # its etcd stream ends with the loop, not later
                    async for batch in watch:
                        changed: dict[str, list[ecs_pb2.Task]] = {}
                        for ev in batch:
                            feed.put(ev.key, ev.value)
                            if ev.value is None:
                                continue
                            changed.setdefault(ev.value.container_instance_arn, []).append(ev.value)
                        for instance_arn, tasks in changed.items():
                            for q in feed.subscribers.get(instance_arn, ()):
                                q.put_nowait(Update(False, tasks))
            except asyncio.CancelledError:
                raise
            except Compacted:
                log.info("task watch of %s compacted; re-listing", cluster)
            except Exception as exc:
                log.warning("task watch of %s failed (%s); re-listing", cluster, exc)
                await asyncio.sleep(0.5)
