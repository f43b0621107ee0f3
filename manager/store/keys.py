"""The etcd key schema: every key Shoal writes is spelled here and nowhere else."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Keys:
    """Keys under one prefix (default `/shoal/`); `*_prefix` values end with `/` for range reads."""

    prefix: str = "/shoal/"

    def __post_init__(self) -> None:
        if not self.prefix.endswith("/"):
            object.__setattr__(self, "prefix", self.prefix + "/")

    def _k(self, *parts: str) -> str:
        return self.prefix + "/".join(parts)

    # -- clusters ----------------------------------------------------------------------------------
    def cluster(self, name: str) -> str:
        return self._k("clusters", name)

    def clusters_prefix(self) -> str:
        return self._k("clusters") + "/"

    # -- task definitions --------------------------------------------------------------------------
    def family(self, family: str) -> str:
        """The record holding a family's latest revision number."""
        return self._k("families", family)

    def task_definition(self, family: str, revision: int) -> str:
        # Zero-padded so that a range read lists revisions in order.
        return self._k("taskdefs", family, f"{revision:08d}")

    def task_definitions_prefix(self, family: str) -> str:
        """Revisions of one family."""
        return self._k("taskdefs", family) + "/"

    def task_definitions_by_family_prefix(self, family_prefix: str) -> str:
        """Revisions of every family whose name starts with `family_prefix` (all when empty)."""
        return self._k("taskdefs", family_prefix) if family_prefix else self._k("taskdefs") + "/"

    def task_definition_tags(self, family: str, revision: int) -> str:
        return self._k("taskdef-tags", family, f"{revision:08d}")

    # -- container instances -----------------------------------------------------------------------
    def instance(self, cluster: str, instance_id: str) -> str:
        return self._k("instances", cluster, instance_id)

    def instances_prefix(self, cluster: str) -> str:
        return self._k("instances", cluster) + "/"

    def session(self, cluster: str, instance_id: str) -> str:
        """An agent's session: leased to the manager process holding the stream; fences its writes."""
        return self._k("sessions", cluster, instance_id)

    def sessions_prefix(self, cluster: str) -> str:
        return self._k("sessions", cluster) + "/"

    def allocation(self, cluster: str, instance_id: str) -> str:
        """Bumped by every placement onto the instance: concurrent placers conflict on it."""
        return self._k("allocations", cluster, instance_id)

    def allocations_prefix(self, cluster: str) -> str:
        return self._k("allocations", cluster) + "/"

    # -- tasks -------------------------------------------------------------------------------------
    def task(self, cluster: str, task_id: str) -> str:
        return self._k("tasks", cluster, task_id)

    def tasks_prefix(self, cluster: str) -> str:
        return self._k("tasks", cluster) + "/"

    def all_tasks_prefix(self) -> str:
        return self._k("tasks") + "/"

    def client_token(self, cluster: str, token: str) -> str:
        return self._k("client-tokens", cluster, token)

    # -- services ----------------------------------------------------------------------------------
    def service(self, cluster: str, name: str) -> str:
        return self._k("services", cluster, name)

    def services_prefix(self, cluster: str) -> str:
        return self._k("services", cluster) + "/"

    # -- events ------------------------------------------------------------------------------------
    def event(self, cluster: str, event_id: str) -> str:
        """One cluster event (EventBridge-shaped), leased for the retention time."""
        return self._k("events", cluster, event_id)

    def events_prefix(self, cluster: str) -> str:
        return self._k("events", cluster) + "/"

    def event_checkpoint(self) -> str:
        """The revision up to which the leader's emitter has turned changes into events."""
        return self._k("event-checkpoint")

    # -- managers and identity ---------------------------------------------------------------------
    def leader(self) -> str:
        return self._k("leader")

    def certificate_authority(self) -> str:
        return self._k("pki", "ca")

    def join_token(self, token_id: str) -> str:
        return self._k("join-tokens", token_id)

    def join_tokens_prefix(self) -> str:
        return self._k("join-tokens") + "/"

    def api_key(self, key_id: str) -> str:
        return self._k("api-keys", key_id)

    def api_keys_prefix(self) -> str:
        return self._k("api-keys") + "/"

    def aws_access_key(self, access_key_id: str) -> str:
        """Which API key owns an AWS access key id (SigV4 requests name only the access key id)."""
        return self._k("aws-access-keys", access_key_id)

    def api_keys_bootstrapped(self) -> str:
        """Written once, by the replica whose bootstrap admin key counts."""
        return self._k("api-keys-bootstrapped")

    def secret(self, name: str) -> str:
        return self._k("secrets", name)

    def secrets_prefix(self) -> str:
        return self._k("secrets") + "/"

    def secrets_key_check(self) -> str:
        return self._k("secrets-key-check")

    # -- service auto scaling ----------------------------------------------------------------------
    def scalable_target(self, cluster: str, service: str) -> str:
        return self._k("scaling-targets", cluster, service)

    def scalable_targets_prefix(self, cluster: str = "") -> str:
        """One cluster's scalable targets, or every cluster's when `cluster` is empty."""
        return self._k("scaling-targets", cluster) + "/" if cluster else self._k("scaling-targets") + "/"

    def scaling_policy(self, cluster: str, service: str, name: str) -> str:
        return self._k("scaling-policies", cluster, service, name)

    def scaling_policies_prefix(self, cluster: str, service: str = "") -> str:
        return (
            self._k("scaling-policies", cluster, service) + "/"
            if service
            else self._k("scaling-policies", cluster) + "/"
        )

    def scheduled_action(self, cluster: str, service: str, name: str) -> str:
        return self._k("scheduled-actions", cluster, service, name)

    def scheduled_actions_prefix(self, cluster: str, service: str = "") -> str:
        return (
            self._k("scheduled-actions", cluster, service) + "/"
            if service
            else self._k("scheduled-actions", cluster) + "/"
        )

    def scaling_state(self, cluster: str, service: str) -> str:
        """The scaler's memory of a service (last scaling times, schedule runs): survives leader changes."""
        return self._k("scaling-state", cluster, service)

    def scaling_activity(self, cluster: str, service: str, activity_id: str) -> str:
        # Activity ids start with a zero-padded time, so a range read lists them oldest first.
        return self._k("scaling-activities", cluster, service, activity_id)

    def scaling_activities_prefix(self, cluster: str, service: str) -> str:
        return self._k("scaling-activities", cluster, service) + "/"

    def revocation(self, cluster: str, instance_id: str) -> str:
        """Written when an instance is deregistered: its certificate is refused from then on."""
        return self._k("revoked-instances", cluster, instance_id)

    # -- metrics and alarms ------------------------------------------------------------------------
    def instance_metrics(self, cluster: str, instance_id: str) -> str:
        """The latest per-task usage its agent reported (written with the heartbeats; every replica reads)."""
        return self._k("metrics", cluster, instance_id)

    def metrics_prefix(self) -> str:
        return self._k("metrics") + "/"

    def alarm(self, cluster: str, name: str) -> str:
        return self._k("alarms", cluster, name)

    def alarms_prefix(self, cluster: str = "") -> str:
        """One cluster's alarms, or every cluster's when `cluster` is empty."""
        return self._k("alarms", cluster) + "/" if cluster else self._k("alarms") + "/"

    # -- load balancing (ELBv2 objects are regional, not per cluster) -------------------------------
    def target_group(self, name: str) -> str:
        return self._k("lb", "target-groups", name)

    def target_groups_prefix(self) -> str:
        return self._k("lb", "target-groups") + "/"

    def load_balancer(self, name: str) -> str:
        return self._k("lb", "load-balancers", name)

    def load_balancers_prefix(self) -> str:
        return self._k("lb", "load-balancers") + "/"

    def lb_status(self, cluster: str, instance_id: str) -> str:
        """An instance's last proxy report (servers, health, connections)."""
        return self._k("lb", "status", cluster, instance_id)

    def lb_status_prefix(self, cluster: str) -> str:
        return self._k("lb", "status", cluster) + "/"

    def kind_prefix(self, kind: str) -> str:
        """Every cluster's objects of one kind (`instances`, `tasks`, `services`, `allocations`)."""
        return self._k(kind) + "/"

    def parse(self, key: str) -> tuple[str, str, str] | None:
        """(kind, cluster, name) of a per-cluster key such as `…/tasks/<cluster>/<id>`, else None."""
        parts = key[len(self.prefix) :].split("/")
        return (parts[0], parts[1], parts[2]) if len(parts) == 3 and key.startswith(self.prefix) else None

    @staticmethod
    def last(key: str) -> str:
        """The last path element of a key (an instance id, a task id, a name)."""
        return key.rsplit("/", 1)[-1]
