"""`shoal-agent`'s entry point. It runs before the agent's imports, so that what the agent never uses
stays out of its memory (see footprint.py); the simulator, thousands of instances in one process, is
left as it is."""

from __future__ import annotations

import os
import sys


def main() -> None:
    simulate = sys.argv[1:2] == ["simulate"]
    if not simulate and sys.flags.optimize < 2:
        # The same process again without docstrings (-OO): ~1 MiB less code in memory on every VM. Its
        # pid stays (exec), so a service manager or a test that started it still holds it.
        os.execv(sys.executable, [sys.executable, "-OO", "-m", "shoal.agent.entry", *sys.argv[1:]])
    if not simulate:
        from shoal.agent import footprint

        footprint.keep_out_unused_modules(os.environ)
    from shoal.agent import main as agent_main

    agent_main.main()


if __name__ == "__main__":
    main()
