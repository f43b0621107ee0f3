"""Typed Python client of the Shoal API (the ECS actions); the CLI talks to the manager only through it."""

from shoal.client.api import DEFAULT_ENDPOINT, DEFAULT_TIMEOUT, ShoalClient
from shoal.client.errors import UNREACHABLE, from_rpc_error

__all__ = ["DEFAULT_ENDPOINT", "DEFAULT_TIMEOUT", "UNREACHABLE", "ShoalClient", "from_rpc_error"]
