"""The AWS ECS wire protocol (JSON 1.1 over HTTP/1.1, SigV4) on the manager, beside the gRPC API."""
