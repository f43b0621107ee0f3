"""Generated protobuf and gRPC code of the Shoal API (proto/generate.sh); nothing else lives here."""
