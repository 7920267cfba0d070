#!/usr/bin/env bash
# The docker-compose.yml topology as local processes, for trying the cluster where Docker can't run:
# redis-server (Debian's, AOF on), silos, and gateways (Orleans clients) serving HTTP/WebSocket.
#
#   scripts/cluster.sh up [--always-open] [--no-build] [--silos N] [--gateways N]
#                                          build (Release) and start Redis, N silos (2), N gateways (2)
#   scripts/cluster.sh add-silo            start one more silo (the next free number) in the running cluster
#   scripts/cluster.sh status              what runs, and each process's /health/ready
#   scripts/cluster.sh down                SIGTERM gateways, then silos, then Redis
#
# Ports (all moved by CLUSTER_PORT_OFFSET, default 0): Redis 6390 (a system Redis on 6379 is left
# alone); silo i: silo-to-silo 11110+i, Orleans gateway 29999+i, health http://127.0.0.1:8100+i;
# gateway i: http://127.0.0.1:8000+i. Logs and pid files go to $CLUSTER_STATE (default
# /tmp/orleansprices-cluster). --no-build runs what is in $CLUSTER_STATE/bin/{silo,gateway}, or in
# the directories $CLUSTER_SILO_BIN and $CLUSTER_GATEWAY_BIN when set. Any other setting reaches every
# process through the environment, e.g. Market__Simulator__UniverseSize=500 scripts/cluster.sh up.
set -euo pipefail
cd "$(dirname "$0")/.."
STATE=${CLUSTER_STATE:-/tmp/orleansprices-cluster}
OFFSET=${CLUSTER_PORT_OFFSET:-0}
REDIS_PORT=$((6390 + OFFSET))
SILO_BIN=${CLUSTER_SILO_BIN:-$STATE/bin/silo}
GATEWAY_BIN=${CLUSTER_GATEWAY_BIN:-$STATE/bin/gateway}

pid_alive() { [ -f "$STATE/$1.pid" ] && kill -0 "$(cat "$STATE/$1.pid")" 2>/dev/null; }
names() { (cd "$STATE" 2>/dev/null && ls -- "$1"*.pid 2>/dev/null | sed 's/\.pid$//' | sort -V) || true; }
silo_http() { echo $((8100 + ${1#silo} + OFFSET)); }
gateway_http() { echo $((8000 + ${1#gateway} + OFFSET)); }

start() { # name, command...
  local name=$1; shift
  if pid_alive "$name"; then echo "$name already running (pid $(cat "$STATE/$name.pid"))"; return; fi
  nohup "$@" >"$STATE/$name.log" 2>&1 &
  echo $! >"$STATE/$name.pid"
  echo "$name started (pid $!, log $STATE/$name.log)"
}

stop() { # name, seconds to wait after SIGTERM
  local name=$1 wait=${2:-20}
  if ! pid_alive "$name"; then rm -f "$STATE/$name.pid"; return; fi
  local pid; pid=$(cat "$STATE/$name.pid")
  kill -TERM "$pid"
  for _ in $(seq $((wait * 10))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then echo "$name did not stop in ${wait}s: SIGKILL"; kill -KILL "$pid"; fi
  rm -f "$STATE/$name.pid"
  echo "$name stopped"
}

cluster_env() {
  export Cluster__Redis="127.0.0.1:$REDIS_PORT" Cluster__ServiceId=${Cluster__ServiceId:-orleansprices}
  export Cluster__ClusterId=${Cluster__ClusterId:-local} Cluster__AdvertisedHost=127.0.0.1
}

start_silo() { # number
  local i=$1
  Urls="http://127.0.0.1:$(silo_http "silo$i")" Cluster__SiloPort=$((11110 + i + OFFSET)) Cluster__GatewayPort=$((29999 + i + OFFSET)) \
    start "silo$i" dotnet "$SILO_BIN/OrleansPrices.Silo.dll" --contentRoot "$SILO_BIN"
}

wait_ready() { # url...
  local url
  for url in "$@"; do
    for _ in $(seq 120); do
      curl -fsS "$url/health/ready" >/dev/null 2>&1 && break
      sleep 0.5
    done
  done
}

up() {
  local always_open=false build=true silos=2 gateways=2
  while [ $# -gt 0 ]; do
    case $1 in
      --always-open) always_open=true ;;
      --no-build) build=false ;;
      --silos) silos=$2; shift ;;
      --gateways) gateways=$2; shift ;;
      *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
    shift
  done
  mkdir -p "$STATE/redis"
  bash scripts/ensure-redis.sh >/dev/null
  if $build; then
    flock /tmp/orleansprices-build.lock dotnet build silo -c Release -o "$STATE/bin/silo" -v q --nologo
    flock /tmp/orleansprices-build.lock dotnet build gateway -c Release -o "$STATE/bin/gateway" -v q --nologo
  fi

  start redis redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --appendonly yes --save "" --dir "$STATE/redis"
  for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done

  cluster_env
  export Market__Clock__AlwaysOpen=$always_open
  echo "export Market__Clock__AlwaysOpen=$always_open" >"$STATE/env"   # for add-silo
  local i urls=()
  for i in $(seq "$silos"); do start_silo "$i"; urls+=("http://127.0.0.1:$(silo_http "silo$i")"); done
  for i in $(seq "$gateways"); do
    Urls="http://127.0.0.1:$(gateway_http "gateway$i")" start "gateway$i" dotnet "$GATEWAY_BIN/OrleansPrices.Gateway.dll" --contentRoot "$GATEWAY_BIN"
    urls+=("http://127.0.0.1:$(gateway_http "gateway$i")")
  done
  wait_ready "${urls[@]}"
  status
}

add_silo() {
  local i=1
  while [ -f "$STATE/silo$i.pid" ]; do i=$((i + 1)); done
  cluster_env
  # shellcheck disable=SC1091
  [ -f "$STATE/env" ] && . "$STATE/env"
  start_silo "$i"
  wait_ready "http://127.0.0.1:$(silo_http "silo$i")"
  status
}

status() {
  local name
  if pid_alive redis; then echo "redis: running (pid $(cat "$STATE/redis.pid"), port $REDIS_PORT)"; else echo "redis: stopped"; fi
  for name in $(names silo) $(names gateway); do
    local port
    case $name in silo*) port=$(silo_http "$name") ;; *) port=$(gateway_http "$name") ;; esac
    if pid_alive "$name"; then
      echo "$name: running (pid $(cat "$STATE/$name.pid")), http://127.0.0.1:$port/health/ready: $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health/ready" 2>/dev/null || true)"
    else
      echo "$name: stopped"
    fi
  done
}

down() {
  # Gateways first (clients move to another gateway), then silos (each leaves the cluster and its
  # stocks reactivate on the others; the last one takes them down), then Redis (AOF synced).
  local name
  for name in $(names gateway); do stop "$name"; done
  for name in $(names silo); do stop "$name" 30; done
  if pid_alive redis; then redis-cli -p "$REDIS_PORT" shutdown >/dev/null 2>&1 || true; fi
  stop redis 10
}

case ${1:-} in
  up) shift; up "$@" ;;
  add-silo) add_silo ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up [--always-open] [--no-build] [--silos N] [--gateways N] | add-silo | down | status" >&2; exit 2 ;;
esac
