"""gRPC servicer for secrets: values go in, metadata comes out; only GetSecretValue returns a value."""

from __future__ import annotations

import logging

from shoal.manager.actions.secrets import Secrets
from shoal.manager.api.auth import caller
from shoal.manager.api.errors import handles_errors
from shoal.v1 import secrets_pb2, secrets_pb2_grpc

log = logging.getLogger(__name__)


class SecretsServicer(secrets_pb2_grpc.SecretsServicer):
    def __init__(self, secrets: Secrets) -> None:
        self.secrets = secrets

    @handles_errors
    async def PutSecret(self, request, context):
        secret, version = await self.secrets.put(
            request.name, request.value, request.description, list(request.allowed_clusters)
        )
        return secrets_pb2.PutSecretResponse(secret=secret, version_id=version)

    @handles_errors
    async def DescribeSecret(self, request, context):
        return secrets_pb2.DescribeSecretResponse(secret=await self.secrets.describe(request.name))

    @handles_errors
    async def ListSecrets(self, request, context):
        return secrets_pb2.ListSecretsResponse(secrets=await self.secrets.list())

    @handles_errors
    async def DeleteSecret(self, request, context):
        return secrets_pb2.DeleteSecretResponse(secret=await self.secrets.delete(request.name))

    @handles_errors
    async def GetSecretValue(self, request, context):
        version, value = await self.secrets.get_value(request.name, request.version_id)
        who = caller.get()
        # Reading a value is rare and sensitive: say who did, never what it was.
        log.info("secret %s (version %s) read by key %s", request.name, version, who.key.name if who else "-")
        return secrets_pb2.GetSecretValueResponse(name=request.name, version_id=version, value=value)
