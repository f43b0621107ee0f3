"""The leader's control loops: services and deployments, instance health."""
