"""Rolling deployments and scale-ins behind a real HAProxy load balancer under constant load.

A manager, two app instances and an edge instance in its own network namespace (as the e2e test
builds them, tests/e2e/lbkit.py); a service of --tasks web tasks behind the load balancer with a
--delay second deregistration delay. Under --rate requests/s it rolls --deployments deployments and
scales in to half and back, then prints the failed requests, p50/p99 latency through the load
balancer next to straight to a task (the same run's baseline), and how long targets drained.
Figures only: it never passes or fails on time. Run as root (network namespaces).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import docker

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.conftest import TEST_IMAGE, wait_for
from tests.e2e.lbkit import Load, get, lb_cluster, register_web, wait_healthy


def build_image(client) -> None:
    with tempfile.TemporaryDirectory() as ctx:
        shutil.copy("/bin/busybox", Path(ctx) / "busybox")
        (Path(ctx) / "Dockerfile").write_text(
            'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\n'
        )
        client.images.build(path=ctx, tag=TEST_IMAGE, rm=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tasks", type=int, default=6)
    p.add_argument("--rate", type=float, default=200)
    p.add_argument("--delay", type=int, default=10, help="deregistration delay, seconds")
    p.add_argument("--deployments", type=int, default=2)
    args = p.parse_args()
    client = docker.from_env()
    build_image(client)
    root = Path(tempfile.mkdtemp(prefix="shoal-lb-bench-"))
    try:
        with lb_cluster(root, client, apps=2) as (c, net):
            c.shoal("lb", "create-target-group", "--name", "web", "--protocol", "HTTP", "--port", "8080",
                    "--health-check-path", "/health", "--health-check-interval-seconds", "2",
                    "--healthy-threshold-count", "2", "--deregistration-delay", str(args.delay))  # fmt: skip
            c.shoal("lb", "create", "--name", "edge", "--placement", "attribute:role == edge")
            c.shoal("lb", "create-listener", "--load-balancer", "edge", "--port", "80", "--protocol", "HTTP",
                    "--default-target-group", "web")  # fmt: skip
            arn = c.json("lb", "describe-target-groups", "--names", "web")["targetGroups"][0][
                "targetGroupArn"
            ]
            lbs = json.dumps([{"targetGroupArn": arn, "containerName": "web", "containerPort": 8080}])
            td = register_web(c, root, "bench-web", "r0")
            c.shoal("service", "create", "--service-name", "web", "--task-definition", td,
                    "--desired-count", str(args.tasks), "--load-balancers", lbs)  # fmt: skip
            wait_healthy(c, "web", args.tasks, timeout=180)
            c.shoal("wait", "services-stable", "web", "--timeout", "180")
            arns = c.json("task", "list", "--service-name", "web")["taskArns"]
            port = c.json("task", "describe", arns[0])["tasks"][0]["containers"][0]["networkBindings"][0][
                "hostPort"
            ]
            started = time.monotonic()
            with Load(net.edge_ip, 80, rate=args.rate) as through_lb:
                with Load(net.host_ip, port, rate=args.rate / 4) as direct:
                    time.sleep(10)
                for n in range(1, args.deployments + 1):
                    td = register_web(c, root, "bench-web", f"r{n}")
                    c.shoal("service", "update", "web", "--task-definition", td)
                    wait_for(lambda n=n: all(get(net.edge_ip, 80)[1].startswith(f"r{n} ") for _ in range(10)),
                             600, f"revision {n} everywhere", interval=1)  # fmt: skip
                    c.shoal("wait", "services-stable", "web", "--timeout", "600")
                    print(f"deployment {n} done at {time.monotonic() - started:.0f}s", flush=True)
                c.shoal("service", "update", "web", "--desired-count", str(max(1, args.tasks // 2)))
                c.shoal("wait", "services-stable", "web", "--timeout", "600")
                c.shoal("service", "update", "web", "--desired-count", str(args.tasks))
                c.shoal("wait", "services-stable", "web", "--timeout", "600")
                print(f"scale-in and back done at {time.monotonic() - started:.0f}s", flush=True)
            stopped = c.json("task", "list", "--service-name", "web", "--desired-status", "STOPPED")[
                "taskArns"
            ]
            drains = []
            for i in range(0, len(stopped), 100):
                for t in c.json("task", "describe", *stopped[i : i + 100])["tasks"]:
                    if "lbDrainingSince" in t and "stoppingAt" in t:
                        since = datetime.fromisoformat(t["lbDrainingSince"])
                        drains.append((datetime.fromisoformat(t["stoppingAt"]) - since).total_seconds())
            print()
            print(through_lb.summary("through the load balancer"))
            print(direct.summary("straight to one task (baseline, first 10 s, same run)"))
            if direct.latencies:
                ratio = through_lb.percentile(50) / direct.percentile(50)
                print(f"p50 ratio load balancer / direct: {ratio:.2f}")
            if drains:
                drains.sort()
                mid = drains[len(drains) // 2]
                print(
                    f"{len(drains)} targets drained: min {drains[0]:.1f}s, median {mid:.1f}s, "
                    f"max {drains[-1]:.1f}s "
                    f"(delay {args.delay}s; sooner when no connection was left)"
                )
            for f in through_lb.failed[:10]:
                print("failed:", f)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
