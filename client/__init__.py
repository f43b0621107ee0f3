"""Typed Python client of Shoal's public gRPC API."""
