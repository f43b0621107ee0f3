"""shoal-manager: the control plane (API, agent sessions, placement, controllers) over etcd."""
