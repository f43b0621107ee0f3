"""`shoal-agent`'s entry point. It runs before the agent's imports, so that what the agent never uses
stays out of its memory (see footprint.py); the simulator, thousands of instances in one process, is
left as it is."""

from __future__ import annotations

import os
import sys


def main() -> None:
    if sys.argv[1:2] != ["simulate"]:
        from shoal.agent import footprint

        footprint.keep_out_unused_modules(os.environ)
    from shoal.agent import main as agent_main

    agent_main.main()
