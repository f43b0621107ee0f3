"""Host port rules both sides follow: the dynamic range the agent picks from and ports it holds back."""

from __future__ import annotations

# ECS hands out dynamic host ports ("hostPort": 0) from this range.
DYNAMIC_PORT_FIRST = 49153
DYNAMIC_PORT_LAST = 65535
DYNAMIC_PORT_COUNT = DYNAMIC_PORT_LAST - DYNAMIC_PORT_FIRST + 1
# Registered as taken on every instance, as the ECS agent does (ssh, the Docker API).
RESERVED_PORTS = (22, 2375, 2376)


def in_dynamic_range(port: int) -> bool:
    """True for host ports the agent may hand out dynamically."""
    return DYNAMIC_PORT_FIRST <= port <= DYNAMIC_PORT_LAST
