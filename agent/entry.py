"""`shoal-agent`'s entry point. It runs before the agent's imports, so that what the agent never uses
stays out of its memory (see footprint.py); the simulator, thousands of instances in one process, is
left as it is."""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys

PR_SET_NAME = 15  # prctl(2)


def main() -> None:
    simulate = sys.argv[1:2] == ["simulate"]
    if not simulate and sys.flags.optimize < 2:
        # The same process again without docstrings (-OO): ~1 MiB less code in memory on every VM. Its
        # pid stays (exec), so a service manager or a test that started it still holds it.
        os.execv(sys.executable, [sys.executable, "-OO", "-m", "shoal.agent.entry", *sys.argv[1:]])
    if not simulate:
        _name_process(b"shoal-agent")
        from shoal.agent import footprint

        footprint.keep_out_unused_modules(os.environ)
    from shoal.agent import main as agent_main

    agent_main.main()


def _name_process(name: bytes) -> None:
    """The process' name (`pgrep shoal-agent`, `top`), which the exec above made the interpreter's."""
    with contextlib.suppress(OSError, AttributeError):  # not Linux: only the name differs
        ctypes.CDLL(None).prctl(PR_SET_NAME, name, 0, 0, 0)


if __name__ == "__main__":
    main()
