"""Container runtimes the agent can run tasks on, behind the `ContainerRuntime` protocol."""

from shoal.agent.runtime.base import ContainerRuntime

__all__ = ["ContainerRuntime"]
