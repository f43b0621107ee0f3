"""gRPC servicer for what an agent needs before it has a session: joining, and where sessions are served."""

from __future__ import annotations

import logging
from datetime import timedelta

import grpc

from shoal.core import arns
from shoal.core.errors import FailedPrecondition
from shoal.manager.actions.fleet import JoinTokens
from shoal.manager.api.errors import handles_errors
from shoal.manager.pki import DEFAULT_INSTANCE_LIFETIME, CertificateAuthority
from shoal.v1 import agent_pb2, agent_pb2_grpc

log = logging.getLogger(__name__)


class AgentJoinServicer(agent_pb2_grpc.AgentJoinServicer):
    def __init__(
        self,
        *,
        session_port: int,
        ca: CertificateAuthority | None = None,
        tokens: JoinTokens | None = None,
        certificate_lifetime: timedelta = DEFAULT_INSTANCE_LIFETIME,
    ) -> None:
        self.session_port = session_port
        self.ca = ca  # None: --insecure
        self.tokens = tokens
        self.certificate_lifetime = certificate_lifetime

    @handles_errors
    async def SessionEndpoint(self, request, context):
        return agent_pb2.SessionEndpointResponse(port=self.session_port)

    @handles_errors
    async def Join(self, request: agent_pb2.JoinRequest, context: grpc.aio.ServicerContext):
        """A token buys a certificate for a new instance; the key it certifies never left the VM."""
        if self.ca is None or self.tokens is None:
            raise FailedPrecondition(
                "this manager runs with --insecure: agents register without joining", reason="INSECURE"
            )
        cluster = arns.cluster_name(request.cluster) if request.cluster else ""
        self.ca.check_csr(request.csr_pem)  # before spending a use of the token
        token = await self.tokens.use(request.token, cluster)
        instance_id = arns.new_instance_id()
        cert = self.ca.issue_instance(request.csr_pem, token.cluster, instance_id, self.certificate_lifetime)
        log.info("instance %s joined cluster %s with token %s", instance_id, token.cluster, token.id)
        return agent_pb2.JoinResponse(
            instance_id=instance_id,
            cluster=token.cluster,
            certificate_pem=cert.decode(),
            ca_pem=self.ca.cert_pem.decode(),
        )
