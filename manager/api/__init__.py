"""gRPC servicers: the public ECS API and the agents' session stream."""
