"""ECS rules shared by the manager, the agent and the CLI: pure, no I/O."""
