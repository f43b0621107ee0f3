"""shoal-agent: the VM agent that joins a cluster and runs the containers it is assigned."""
