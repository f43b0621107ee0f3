"""gRPC servicer for API keys: create, list, revoke, and who the caller is."""

from __future__ import annotations

from shoal.core.errors import Unauthenticated
from shoal.manager.actions.api_keys import ApiKeys
from shoal.manager.api.auth import caller
from shoal.manager.api.errors import handles_errors
from shoal.v1 import auth_pb2, auth_pb2_grpc


class AuthServicer(auth_pb2_grpc.AuthServicer):
    def __init__(self, keys: ApiKeys) -> None:
        self.keys = keys

    @handles_errors
    async def CreateApiKey(self, request, context):
        who = caller.get()
        key, secret, aws_secret = await self.keys.create(
            request.name,
            request.role,
            request.cluster,
            request.expires_in_seconds,
            created_by=who.key.name if who else "",
            aws_credentials=request.aws_credentials,
        )
        return auth_pb2.CreateApiKeyResponse(key=key, secret=secret, aws_secret_access_key=aws_secret)

    @handles_errors
    async def ListApiKeys(self, request, context):
        return auth_pb2.ListApiKeysResponse(keys=await self.keys.list())

    @handles_errors
    async def RevokeApiKey(self, request, context):
        return auth_pb2.RevokeApiKeyResponse(key=await self.keys.revoke(request.id))

    @handles_errors
    async def WhoAmI(self, request, context):
        who = caller.get()
        if who is None:  # --insecure: no keys at all
            raise Unauthenticated("this manager runs with --insecure: calls carry no key", reason="INSECURE")
        return auth_pb2.WhoAmIResponse(key=who.key)
