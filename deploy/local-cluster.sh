#!/usr/bin/env bash
# One command for a fresh Debian/Ubuntu machine (as root): set up, start a local Shoal cluster
# (manager with embedded etcd + two agents in two availability zones) and run a sample web task.
#   deploy/local-cluster.sh          start (restarts a running local cluster)
#   deploy/local-cluster.sh stop     stop the processes (task containers are removed too)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=${SHOAL_HOME:-$PWD/.shoal-local}
ENDPOINT=${SHOAL_ENDPOINT:-127.0.0.1:7700}
export SHOAL_ENDPOINT=$ENDPOINT

stop_all() {
  for f in "$ROOT"/*.pid; do
    [ -e "$f" ] || continue
    kill "$(cat "$f")" 2>/dev/null || true
    rm -f "$f"
  done
  sleep 1
}

if [ "${1:-}" = "stop" ]; then
  stop_all
  # Only this local cluster's task containers: those labelled with one of its agents' instance ids.
  for state in "$ROOT"/agent-*/agent-state.json; do
    [ -e "$state" ] || continue
    id=$(sed -n 's/.*"instance_id": "\([^"]*\)".*/\1/p' "$state")
    [ -n "$id" ] || continue
    ids=$(docker ps -aq --filter "label=com.shoal.container-instance=$id" 2>/dev/null || true)
    [ -n "$ids" ] && docker rm -f $ids >/dev/null
  done
  echo "local cluster stopped"
  exit 0
fi

./deploy/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
stop_all
mkdir -p "$ROOT"

echo "==> building the demo image shoal-demo/busybox:latest (no registry needed)"
ctx=$(mktemp -d)
cp /bin/busybox deploy/demo/Dockerfile "$ctx"/
docker build -q -t shoal-demo/busybox:latest "$ctx" >/dev/null
rm -rf "$ctx"

echo "==> starting shoal-manager on $ENDPOINT (TLS, embedded etcd, data in $ROOT/manager)"
nohup shoal-manager --listen "$ENDPOINT" --data-dir "$ROOT/manager" >"$ROOT/manager.log" 2>&1 &
echo $! >"$ROOT/manager.pid"
# The manager's cluster CA (the CLI checks the manager's TLS against it) and its first admin key.
CA_FILE="$ROOT/manager/ca.pem"
KEY_FILE="$ROOT/manager/admin.key"
for _ in $(seq 1 120); do
  [ -e "$CA_FILE" ] && [ -e "$KEY_FILE" ] && break
  echo "    waiting for the manager to start on $ENDPOINT ..."
  sleep 0.5
done
[ -e "$KEY_FILE" ] || { echo "manager did not start; see $ROOT/manager.log" >&2; exit 1; }
# The CLI's profile `local` (and `default`, if you have none yet): endpoint, CA and the admin key.
shoal --profile local configure --endpoint "$ENDPOINT" --cluster default --ca-file "$CA_FILE" \
  --api-key-file "$KEY_FILE" >/dev/null
grep -qs '^\[default\]' "${XDG_CONFIG_HOME:-$HOME/.config}/shoal/config" ||
  shoal --profile default configure --endpoint "$ENDPOINT" --cluster default --ca-file "$CA_FILE" \
    --api-key-file "$KEY_FILE" >/dev/null
export SHOAL_PROFILE=local
unset SHOAL_ENDPOINT
for _ in $(seq 1 60); do shoal cluster list >/dev/null 2>&1 && break; sleep 0.5; done
shoal cluster list >/dev/null || { echo "manager does not answer; see $ROOT/manager.log" >&2; exit 1; }

# Agents join with a token, as on a real fleet: each makes its own key and gets a certificate.
token=$(shoal token create -q --ttl 10m --description "local cluster agents")
for az in local-a local-b; do
  echo "==> starting shoal-agent in availability zone $az (joins with a token on first start)"
  SHOAL_JOIN_TOKEN=$token nohup shoal-agent --manager "$ENDPOINT" --cluster default \
    --data-dir "$ROOT/agent-$az" --availability-zone "$az" >"$ROOT/agent-$az.log" 2>&1 &
  echo $! >"$ROOT/agent-$az.pid"
done
for _ in $(seq 1 120); do
  [ "$(shoal instance list --status ACTIVE --output json | grep -c container-instance/)" -ge 2 ] && break
  echo "    waiting for 2 agents to join ..."
  sleep 0.5
done
shoal instance list

echo "==> registering and running the sample web task"
shoal task-definition register --cli-input-json file://deploy/demo/web-taskdef.json
task=$(shoal task run --task-definition hello-web --output json | sed -n 's/.*"taskArn": "\(.*\)".*/\1/p' | head -n1)
shoal task wait running "$task" --timeout 120
port=$(shoal task describe "$task" --output json | sed -n 's/.*"hostPort": \([0-9]*\).*/\1/p' | head -n1)
echo "==> the sample task answers on http://127.0.0.1:$port/"
wget -q -O - "http://127.0.0.1:$port/" || curl -fsS "http://127.0.0.1:$port/"
echo
echo "Try: export PATH=\$PWD/.venv/bin:\$PATH SHOAL_PROFILE=local"
echo "     shoal whoami; shoal instance list; shoal task list; shoal token create; deploy/local-cluster.sh stop"
