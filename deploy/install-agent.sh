#!/usr/bin/env bash
# Turn a Debian or Ubuntu VM (as root) into a Shoal container instance, or remove it again.
#
#   curl -fsSLk --pinnedpubkey 'sha256//…' https://MANAGER:7702/install-agent.sh \
#     | sudo bash -s -- --manager MANAGER:7700 --token SHOAL-1-…
#
# `shoal token create` on the manager prints that line. Running it again is harmless: it keeps the
# VM's identity and rewrites settings. The join token is used once and never written to disk.
set -Eeuo pipefail

usage() {
  cat <<'EOF'
usage: install-agent.sh --manager HOST:PORT[,HOST:PORT…] --token SHOAL-1-… [options]
       install-agent.sh --uninstall [--remove-containers]

  --manager LIST          manager API endpoints, comma-separated replicas
  --token TOKEN           join token from `shoal token create` (or SHOAL_JOIN_TOKEN); only on first install
  --cluster NAME          cluster to join (default: default)
  --availability-zone AZ  value of ecs.availability-zone (default: local-a)
  --instance-type TYPE    value of ecs.instance-type (default: shoal.host)
  --attribute NAME=VALUE  custom attribute, repeatable
  --host-ip IP            address task host ports are published on (default: 0.0.0.0)
  --agent-arg ARG         extra shoal-agent argument, repeatable (e.g. --agent-arg --memory-mib=2048)
  --data-dir DIR          agent state and identity (default: /var/lib/shoal-agent)
  --prefix DIR            where the agent's virtualenv goes (default: /opt/shoal)
  --installer URL         where the manager serves wheels and its CA (default: https://MANAGER:API_PORT+2)
  --index-url URL         also take dependencies from this package index (e.g. https://pypi.org/simple),
                          for a Python the manager has no wheels for
  --from-pypi             install shoal itself from the package index, not from the manager
  --no-start              write everything but do not start the service
  --uninstall             stop and remove the agent, its unit, settings, virtualenv and identity
  --remove-containers     with --uninstall: also remove this instance's task containers
EOF
}

ENV_FILE=/etc/shoal/agent.env
UNIT_FILE=/etc/systemd/system/shoal-agent.service
DOCKER_SOCKET=${DOCKER_SOCKET:-/var/run/docker.sock}
LOG=/var/log/shoal-install.log
STEP="starting"

say() { echo "==> $*"; }
note() { echo "    $*"; }
die() {
  echo "install-agent.sh: error: $*" >&2
  exit 1
}
on_error() {
  echo "install-agent.sh: error: ${STEP} failed (exit $1); the last lines of ${LOG}:" >&2
  tail -n 15 "$LOG" >&2 2>/dev/null || true
  exit "$1"
}
# Noisy commands write to the log; a failure shows its tail under one error line.
quiet() { "$@" >>"$LOG" 2>&1; }
has_systemd() { [ -d /run/systemd/system ]; }

# A value that goes into agent.env and the unit's command line: one word, nothing the shell or
# systemd would expand.
check_word() {
  case "$2" in
  "" | *[[:space:]\"\'\\\$\`]*) die "$1 '$2': must be one word without quotes, \$ or backslashes" ;;
  esac
}

parse_args() {
  MANAGER=${SHOAL_MANAGER:-}
  CLUSTER=${SHOAL_CLUSTER:-default}
  AZ=${SHOAL_AVAILABILITY_ZONE:-local-a}
  INSTANCE_TYPE=${SHOAL_INSTANCE_TYPE:-shoal.host}
  HOST_IP=${SHOAL_HOST_IP:-0.0.0.0}
  DATA_DIR=${SHOAL_DATA_DIR:-/var/lib/shoal-agent}
  PREFIX=${SHOAL_PREFIX:-/opt/shoal}
  AGENT_OPTS=${SHOAL_AGENT_OPTS:-}
  TOKEN=${SHOAL_JOIN_TOKEN:-}
  INSTALLER="" INDEX_URL="" FROM_PYPI=0 NO_START=0 UNINSTALL=0 REMOVE_CONTAINERS=0
  local attrs=() extra=()
  while (($#)); do
    case "$1" in
    --manager | --token | --cluster | --availability-zone | --instance-type | --attribute | --host-ip | \
      --agent-arg | --data-dir | --prefix | --installer | --index-url)
      (($# >= 2)) || die "$1 needs a value"
      case "$1" in
      --manager) MANAGER=$2 ;;
      --token) TOKEN=$2 ;;
      --cluster) CLUSTER=$2 ;;
      --availability-zone) AZ=$2 ;;
      --instance-type) INSTANCE_TYPE=$2 ;;
      --attribute) attrs+=("$2") ;;
      --host-ip) HOST_IP=$2 ;;
      --agent-arg) extra+=("$2") ;;
      --data-dir) DATA_DIR=$2 ;;
      --prefix) PREFIX=$2 ;;
      --installer) INSTALLER=${2%/} ;;
      --index-url) INDEX_URL=$2 ;;
      esac
      shift 2
      ;;
    --from-pypi) FROM_PYPI=1
      shift
      ;;
    --no-start) NO_START=1
      shift
      ;;
    --uninstall) UNINSTALL=1
      shift
      ;;
    --remove-containers) REMOVE_CONTAINERS=1
      shift
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    *) die "unknown option $1 (see --help)" ;;
    esac
  done
  # Attributes and extra arguments given now replace those of an earlier install.
  if ((${#attrs[@]} + ${#extra[@]})); then
    AGENT_OPTS=""
    local a
    for a in "${attrs[@]}"; do
      [[ $a == ?*=* ]] || die "--attribute '$a': expected NAME=VALUE"
      check_word --attribute "$a"
      AGENT_OPTS+="${AGENT_OPTS:+ }--attribute $a"
    done
    for a in "${extra[@]}"; do
      check_word --agent-arg "$a"
      AGENT_OPTS+="${AGENT_OPTS:+ }$a"
    done
  fi
  ((REMOVE_CONTAINERS && !UNINSTALL)) && die "--remove-containers goes with --uninstall"
  if ((!UNINSTALL)); then
    [ -n "$MANAGER" ] || die "--manager is required (the manager's HOST:PORT, as \`shoal token create\` prints it)"
    local v
    for v in "$MANAGER" "$CLUSTER" "$AZ" "$INSTANCE_TYPE" "$HOST_IP" "$DATA_DIR" "$PREFIX"; do
      check_word setting "$v"
    done
    # Each replica serves the installer on its API port + 2, unless --installer says otherwise.
    INSTALLERS=()
    if [ -n "$INSTALLER" ]; then INSTALLERS=("$INSTALLER"); else
      local m port managers
      IFS=, read -ra managers <<<"$MANAGER"
      for m in "${managers[@]}"; do
        port=${m##*:}
        [[ $port =~ ^[0-9]+$ ]] || die "--manager '$m': expected HOST:PORT"
        INSTALLERS+=("https://${m%:*}:$((port + 2))")
      done
      INSTALLER=${INSTALLERS[0]}
    fi
  fi
  VENV=$PREFIX/venv
}

ensure_packages() {
  local need=() pkg
  for pkg in python3 python3-venv ca-certificates curl; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || need+=("$pkg")
  done
  ((${#need[@]})) || return 0
  STEP="installing ${need[*]}"
  say "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  quiet apt-get update
  quiet apt-get install -y --no-install-recommends "${need[@]}"
}

docker_running() {
  [ -S "$DOCKER_SOCKET" ] &&
    [ "$(curl -fsS --max-time 5 --unix-socket "$DOCKER_SOCKET" http://localhost/_ping 2>/dev/null)" = OK ]
}

ensure_docker() {
  STEP="setting up Docker Engine"
  if docker_running; then
    say "Docker Engine is running ($DOCKER_SOCKET)"
    return 0
  fi
  if ! command -v dockerd >/dev/null; then
    say "installing Docker Engine (docker.io)"
    export DEBIAN_FRONTEND=noninteractive
    quiet apt-get update
    quiet apt-get install -y docker.io
  fi
  if has_systemd; then
    say "starting Docker Engine"
    quiet systemctl enable --now docker.service
    local _
    for _ in $(seq 1 60); do
      docker_running && return 0
      sleep 0.5
    done
    die "Docker Engine does not answer on $DOCKER_SOCKET (systemctl status docker)"
  fi
  note "systemd is not running here: start dockerd yourself before the agent"
}

fetch() { curl -fsS --retry 3 --max-time 120 --cacert "$PREFIX/ca.pem" "$@"; }

# The CA comes from the installer port with -k, then must match the token's digest (SHA-256 of its
# DER form): the token, not the network, is what this VM trusts. Everything after is verified TLS.
fetch_ca() {
  STEP="fetching the cluster CA"
  local tmp want url
  tmp=$(mktemp)
  for url in "${INSTALLERS[@]}"; do
    say "fetching the cluster CA from $url"
    if curl -fsSk --retry 2 --max-time 30 "$url/ca.pem" -o "$tmp" >>"$LOG" 2>&1; then
      INSTALLER=$url
      break
    fi
    note "no answer from $url"
    rm -f "$tmp"
  done
  [ -s "$tmp" ] || die "cannot fetch the cluster CA from ${INSTALLERS[*]} (is the manager's installer port reachable?)"
  if [ -n "$TOKEN" ]; then
    [[ $TOKEN =~ ^SHOAL-1-([0-9a-f]{64})-[a-z0-9]{32}$ ]] ||
      die "--token is not a Shoal join token (SHOAL-1-<64 hex>-<32 characters>)"
    want=${BASH_REMATCH[1]}
  elif [ -f "$DATA_DIR/ca.pem" ]; then
    want=$(ca_digest "$DATA_DIR/ca.pem")
  else
    die "this VM has not joined yet: give --token (shoal token create on the manager prints one)"
  fi
  [ "$(ca_digest "$tmp")" = "$want" ] ||
    die "the CA served at $INSTALLER is not the one the token names: wrong manager, or someone in between"
  mkdir -p "$PREFIX"
  install -m 0644 "$tmp" "$PREFIX/ca.pem"
  rm -f "$tmp"
}

ca_digest() {
  python3 -c 'import hashlib, ssl, sys
print(hashlib.sha256(ssl.PEM_cert_to_DER_cert(open(sys.argv[1]).read())).hexdigest())' "$1"
}

install_agent() {
  STEP="installing shoal-agent into $VENV"
  say "installing shoal-agent into $VENV"
  [ -x "$VENV/bin/python" ] || quiet python3 -m venv "$VENV"
  # pip verifies the manager with the cluster CA and any index with the system's CAs: one bundle.
  cat /etc/ssl/certs/ca-certificates.crt "$PREFIX/ca.pem" >"$PREFIX/pip-ca.pem" 2>/dev/null ||
    cp "$PREFIX/ca.pem" "$PREFIX/pip-ca.pem"
  local pip=("$VENV/bin/pip" --disable-pip-version-check --cert "$PREFIX/pip-ca.pem" install --upgrade)
  if ((FROM_PYPI)); then
    pip+=(--index-url "${INDEX_URL:-https://pypi.org/simple}")
  else
    # Reaching /wheels/ first makes the manager build its wheelhouse, which may take a while.
    fetch -o /dev/null "$INSTALLER/wheels/" >>"$LOG" 2>&1 ||
      die "the manager serves no agent wheels at $INSTALLER/wheels/ ($(fetch "$INSTALLER/wheels/" 2>&1 | tail -n 1))"
    pip+=(--find-links "$INSTALLER/wheels/")
    if [ -n "$INDEX_URL" ]; then pip+=(--index-url "$INDEX_URL"); else pip+=(--no-index); fi
  fi
  quiet env -u PIP_FIND_LINKS -u PIP_INDEX_URL -u PIP_EXTRA_INDEX_URL "${pip[@]}" shoal || {
    local py
    py=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    die "pip could not install shoal (see $LOG): the manager's wheels fit its own Python; this VM has" \
      "python3 $py. Add --index-url https://pypi.org/simple to take dependencies from PyPI"
  }
  # The agent runs without docstrings (python -OO): compiled so now, not at its first start. A file
  # that does not compile is no reason to stop (it would be compiled at import, if ever imported).
  quiet "$VENV/bin/python" -OO -m compileall -q -j 0 "$VENV/lib" || true
  note "shoal $("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("shoal"))')"
}

write_settings() {
  STEP="writing $ENV_FILE"
  say "writing $ENV_FILE"
  mkdir -p "$(dirname "$ENV_FILE")"
  local tmp=$ENV_FILE.new
  cat >"$tmp" <<EOF
# Shoal agent settings, written by install-agent.sh; re-run it to change them.
# No secret here: the join token was used once, at install; the VM's key is in $DATA_DIR.
SHOAL_MANAGER=$MANAGER
SHOAL_CLUSTER=$CLUSTER
SHOAL_DATA_DIR=$DATA_DIR
SHOAL_PREFIX=$PREFIX
SHOAL_AVAILABILITY_ZONE=$AZ
SHOAL_INSTANCE_TYPE=$INSTANCE_TYPE
SHOAL_HOST_IP=$HOST_IP
SHOAL_AGENT_OPTS="$AGENT_OPTS"
EOF
  chmod 0644 "$tmp"
  mv "$tmp" "$ENV_FILE"
}

# The unit as deploy/systemd/shoal-agent.service ships it, with this install's virtualenv.
render_unit() {
  cat <<EOF
[Unit]
Description=Shoal agent (runs this instance's tasks through the Docker Engine)
After=network-online.target docker.service
Wants=network-online.target docker.service

[Service]
# Written by install-agent.sh; settings in /etc/shoal/agent.env (re-run the installer to change them).
EnvironmentFile=/etc/shoal/agent.env
ExecStart=$VENV/bin/shoal-agent --manager \${SHOAL_MANAGER} --cluster \${SHOAL_CLUSTER} \\
  --data-dir \${SHOAL_DATA_DIR} --availability-zone \${SHOAL_AVAILABILITY_ZONE} \\
  --instance-type \${SHOAL_INSTANCE_TYPE} --host-ip \${SHOAL_HOST_IP} \$SHOAL_AGENT_OPTS
Restart=always
RestartSec=2
# Stop only the agent: task containers keep running across agent restarts and upgrades.
KillMode=process

[Install]
WantedBy=multi-user.target
EOF
}

write_unit() {
  STEP="writing $UNIT_FILE"
  say "writing $UNIT_FILE"
  mkdir -p "$(dirname "$UNIT_FILE")"
  render_unit >"$UNIT_FILE.new"
  mv "$UNIT_FILE.new" "$UNIT_FILE"
}

# The instance_id or cluster that this VM's certificate names.
identity() {
  [ -f "$DATA_DIR/agent.pem" ] && [ -x "$VENV/bin/python" ] &&
    "$VENV/bin/python" -c 'import sys
from shoal.core.identity import instance_identity
i = instance_identity(open(sys.argv[1]).read())
print(getattr(i, sys.argv[2]) if i else "")' "$DATA_DIR/agent.pem" "$1" 2>/dev/null
}
instance_id() { identity instance_id; }

join() {
  STEP="joining cluster $CLUSTER at $MANAGER"
  if [ -f "$DATA_DIR/agent.pem" ]; then
    local joined
    joined=$(identity cluster || true)
    [ "$joined" = "$CLUSTER" ] ||
      die "this VM is already instance $(instance_id) of cluster ${joined:-?}: --uninstall first to join $CLUSTER"
    say "already joined as $(instance_id); keeping this identity"
    return 0
  fi
  [ -n "$TOKEN" ] || die "this VM has not joined yet: give --token"
  say "joining cluster $CLUSTER at $MANAGER"
  # The token goes through the environment, never a file or the unit.
  SHOAL_JOIN_TOKEN=$TOKEN quiet "$VENV/bin/shoal-agent" --join-only --manager "$MANAGER" \
    --cluster "$CLUSTER" --data-dir "$DATA_DIR" ||
    die "joining failed: $(grep -E 'shoal-agent:|ERROR' "$LOG" | tail -n 1)"
  note "this VM is instance $(instance_id) of cluster $CLUSTER"
}

start_agent() {
  STEP="starting shoal-agent"
  if has_systemd; then
    quiet systemctl daemon-reload
    quiet systemctl enable shoal-agent.service
    if ((NO_START)); then
      say "not starting shoal-agent (--no-start): systemctl start shoal-agent"
      return 0
    fi
    say "starting shoal-agent"
    # A restart is harmless: KillMode=process leaves the task containers running.
    quiet systemctl restart shoal-agent.service
    note "journalctl -u shoal-agent -f   # its log"
    return 0
  fi
  say "systemd is not running on this machine: shoal-agent is installed but not started"
  note "start it as its unit would:"
  note "set -a; . $ENV_FILE; set +a; $VENV/bin/shoal-agent --manager \"\$SHOAL_MANAGER\" \\"
  note "  --cluster \"\$SHOAL_CLUSTER\" --data-dir \"\$SHOAL_DATA_DIR\" --availability-zone \"\$SHOAL_AVAILABILITY_ZONE\" \\"
  note "  --instance-type \"\$SHOAL_INSTANCE_TYPE\" --host-ip \"\$SHOAL_HOST_IP\" \$SHOAL_AGENT_OPTS"
}

engine() { curl -fsS --max-time 30 --unix-socket "$DOCKER_SOCKET" "$@"; }

uninstall() {
  STEP="uninstalling"
  local id
  id=$(instance_id || true)
  if has_systemd && [ -f "$UNIT_FILE" ]; then
    say "stopping shoal-agent"
    quiet systemctl disable --now shoal-agent.service || true
  elif [ -f "$UNIT_FILE" ]; then
    note "systemd is not running: stop the shoal-agent you started by hand, if any"
  fi
  if [ -n "$id" ] && docker_running; then
    local ids
    ids=$(engine -G --data-urlencode "filters={\"label\":[\"com.shoal.container-instance=$id\"]}" \
      "http://localhost/containers/json?all=1" | python3 -c 'import json, sys
print(" ".join(c["Id"] for c in json.load(sys.stdin)))')
    if ((REMOVE_CONTAINERS)); then
      say "removing the task containers of $id"
      local c
      for c in $ids; do engine -X DELETE "http://localhost/containers/$c?force=1&v=1" >/dev/null; done
    elif [ -n "$ids" ]; then
      note "$(wc -w <<<"$ids") task container(s) of $id keep running (--remove-containers removes them)"
    fi
  fi
  say "removing $UNIT_FILE, $ENV_FILE, $PREFIX and $DATA_DIR"
  rm -f "$UNIT_FILE"
  has_systemd && quiet systemctl daemon-reload
  rm -f "$ENV_FILE"
  rmdir "$(dirname "$ENV_FILE")" 2>/dev/null || true
  rm -rf "$PREFIX" "$DATA_DIR"
  if [ -n "$id" ]; then
    note "on the manager: shoal instance deregister $id --force"
  fi
}

main() {
  [ "$(id -u)" -eq 0 ] || die "run as root (sudo bash -s -- …)"
  command -v apt-get >/dev/null || die "this installer is for Debian and Ubuntu (no apt-get here)"
  # An earlier install's settings are the defaults: `install-agent.sh` alone reinstalls or upgrades.
  if [ -f "$ENV_FILE" ]; then
    # shellcheck disable=SC1090
    . "$ENV_FILE"
  fi
  parse_args "$@"
  mkdir -p "$(dirname "$LOG")"
  : >"$LOG"
  trap 'on_error $?' ERR
  if ((UNINSTALL)); then
    uninstall
    say "done: the Shoal agent is removed"
    return 0
  fi
  ensure_packages
  ensure_docker
  fetch_ca
  install_agent
  write_settings
  write_unit
  join
  start_agent
  say "done: instance $(instance_id) of cluster $CLUSTER (shoal instance list on the manager)"
}

# Sourced with SHOAL_INSTALL_LIB=1, only the functions are defined (the tests call them one by one).
if [ "${SHOAL_INSTALL_LIB:-}" != 1 ]; then
  main "$@"
fi
