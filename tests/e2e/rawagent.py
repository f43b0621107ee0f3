"""An agent's session by hand, for tests of what the manager does with a session it cannot see otherwise."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import grpc

from shoal.agent.identity import AgentIdentity
from shoal.v1 import agent_pb2, agent_pb2_grpc, ecs_pb2
from tests.conftest import LocalCluster

# Without BDP probing the stuck agent's gRPC grants only its first 64 KiB window: what the manager
# has for it then waits in the manager, which is what this test is about.
NO_READ_AHEAD = [("grpc.http2.bdp_probe", 0)]


def registration(role: str) -> agent_pb2.RegisterInstance:
    return agent_pb2.RegisterInstance(
        cluster="default",
        registered_resources=[
            ecs_pb2.Resource(name="CPU", type="INTEGER", integer_value=4096),
            ecs_pb2.Resource(name="MEMORY", type="INTEGER", integer_value=100_000),
            ecs_pb2.Resource(name="PORTS", type="STRINGSET", string_set_value=["22"]),
        ],
        attributes=[
            ecs_pb2.Attribute(name="ecs.availability-zone", value="az-1"),
            ecs_pb2.Attribute(name="role", value=role),
        ],
        version_info=ecs_pb2.VersionInfo(agent_version="0.1.0"),
    )


class RawAgent:
    """An agent's session by hand: it registers and sends heartbeats, and reads only when told."""

    def __init__(self, c: LocalCluster, data_dir: Path) -> None:
        data_dir.mkdir()
        self.identity = AgentIdentity(data_dir)
        asyncio.run(self.identity.join([c.endpoint], c.join_token(), "default"))
        creds = self.identity.load()
        api = grpc.secure_channel(c.endpoint, grpc.ssl_channel_credentials(creds.ca_pem))
        port = agent_pb2_grpc.AgentJoinStub(api).SessionEndpoint(
            agent_pb2.SessionEndpointRequest(), timeout=10
        )
        api.close()
        self.target = f"127.0.0.1:{port.port}"
        self.credentials = grpc.ssl_channel_credentials(
            creds.ca_pem, private_key=creds.key_pem, certificate_chain=creds.cert_pem
        )
        self.stop = threading.Event()

    def session(self, reg: agent_pb2.RegisterInstance):
        channel = grpc.secure_channel(self.target, self.credentials, options=NO_READ_AHEAD)

        def requests() -> Iterator[agent_pb2.AgentMessage]:
            yield agent_pb2.AgentMessage(register=reg)
            while not self.stop.wait(1):  # alive as far as the manager's silence watchdog can tell
                yield agent_pb2.AgentMessage(heartbeat=agent_pb2.Heartbeat())

        return agent_pb2_grpc.AgentSessionStub(channel).Session(requests())
