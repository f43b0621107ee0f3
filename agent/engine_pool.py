"""The threads the agent's blocking Docker calls run on, as the event loop's default executor.

Unlike ThreadPoolExecutor's own (which the interpreter joins at exit), these are daemon threads and
`shutdown` does not wait for calls that are running: a `docker stop` waiting out a container's
stopTimeout, or the pull of a large image, is finished by the engine itself whether or not the agent
is still there, and a restarted agent picks up the outcome from the engine (as after a kill -9). So a
SIGTERM ends the agent promptly instead of after the slowest call in flight.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

# A burst of engine calls (a service scaling up on this VM) starts up to max_workers threads; those left
# idle this long end, so that their stacks and allocator arenas do not stay in the agent's memory.
IDLE_SECONDS = 30.0

_Item = tuple[Future, Callable[..., Any], tuple[Any, ...], dict[str, Any]]


class EngineCallPool(ThreadPoolExecutor):
    """A ThreadPoolExecutor by type only (asyncio takes no other as the default executor): its own
    submit and shutdown, none of the parent's threads."""

    def __init__(
        self, max_workers: int, thread_name_prefix: str = "engine", idle_seconds: float = IDLE_SECONDS
    ) -> None:
        super().__init__(max_workers, thread_name_prefix)
        self._idle_seconds = idle_seconds
        self._started = 0
        self._limit = self._max_workers
        self._prefix = thread_name_prefix
        self._calls: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._waiting = threading.Semaphore(0)  # one release per thread waiting for work
        self._workers: list[threading.Thread] = []
        self._guard = threading.Lock()
        self._closed = False

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        with self._guard:
            if self._closed:
                raise RuntimeError("cannot schedule new calls after shutdown")
            future: Future = Future()
            self._calls.put((future, fn, args, kwargs))
            if not self._waiting.acquire(blocking=False) and len(self._workers) < self._limit:
                t = threading.Thread(target=self._work, name=f"{self._prefix}_{self._started}", daemon=True)
                self._started += 1
                self._workers.append(t)
                t.start()
            return future

    def _work(self) -> None:
        while True:
            try:
                item = self._calls.get(timeout=self._idle_seconds)
            except queue.Empty:
                with self._guard:
                    # Withdraw this thread's offer to take the next call, unless a submit has just
                    # counted on it (its call is then in the queue for this thread to take).
                    if self._waiting.acquire(blocking=False):
                        self._workers.remove(threading.current_thread())
                        return
                continue
            if item is None:
                return
            future, fn, args, kwargs = item
            del item
            if future.set_running_or_notify_cancel():
                try:
                    result = fn(*args, **kwargs)
                except BaseException as exc:
                    future.set_exception(exc)
                else:
                    future.set_result(result)
            del future, fn, args, kwargs  # nothing of a finished call is kept alive while idle
            self._waiting.release()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Refuse new calls and cancel queued ones; calls already running are not waited for
        (whatever `wait` says): they end with the engine's answer or with the process."""
        with self._guard:
            self._closed = True
            while True:
                try:
                    item = self._calls.get_nowait()
                except queue.Empty:
                    break
                if item is not None:
                    item[0].cancel()
            for _ in self._workers:
                self._calls.put(None)
