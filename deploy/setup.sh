#!/usr/bin/env bash
# Prepare a fresh Debian/Ubuntu machine (as root): Docker Engine, etcd, busybox, and Shoal in ./.venv.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
# debootstrap and shellcheck: the install-agent.sh test (a fresh Debian tree) and its lint.
# haproxy: the load balancers' proxy (the agent runs it; the package's own service is not used).
# iptables and iproute2 (tc netem): the fault campaign partitions and slows its namespaced fleet;
# libnetfilter-queue-dev, build-essential, python3-dev: the netfilterqueue package it delays links with
# where the kernel has no netem (it builds from source).
for pkg in docker.io etcd-server etcd-client busybox-static python3-venv debootstrap shellcheck haproxy iptables iproute2 \
  libnetfilter-queue-dev build-essential python3-dev; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if ((${#need[@]})); then
  echo "==> installing Debian packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi
# The Debian etcd-server package may start a system etcd on 2379; Shoal does not need it.
systemctl disable --now etcd >/dev/null 2>&1 || true
systemctl disable --now haproxy >/dev/null 2>&1 || true

if ! docker info >/dev/null 2>&1; then
  echo "==> starting dockerd"
  if command -v systemctl >/dev/null && systemctl start docker >/dev/null 2>&1; then :; else
    nohup dockerd >/var/log/shoal-dockerd.log 2>&1 &
  fi
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  docker info >/dev/null 2>&1 || { echo "dockerd did not start; see /var/log/shoal-dockerd.log" >&2; exit 1; }
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PY" -m venv .venv
fi
echo "==> installing Shoal into .venv"
.venv/bin/pip install -q --upgrade pip >/dev/null
.venv/bin/pip install -q -e '.[test]'
# The agent runs without docstrings (python -OO): its libraries compiled so, once, here.
.venv/bin/python -OO -m compileall -q -j 0 .venv/lib >/dev/null || true
