#!/usr/bin/env bash
# The docker-compose.yml topology as local processes, for trying the cluster where Docker can't run:
# redis-server (Debian's, AOF on) on $REDIS_PORT, two silos, two gateways on 8001 and 8002.
#
#   scripts/cluster.sh up [--always-open] [--no-build]   build (Release) and start everything
#   scripts/cluster.sh status                            what runs, and each process's /health/ready
#   scripts/cluster.sh down                              SIGTERM gateways, then silos, then Redis
#
# Logs and pid files go to $CLUSTER_STATE (default /tmp/orleansprices-cluster) (REDIS_PORT defaults to 6390 so a system Redis on 6379 is left
# alone). Add a silo by hand: see README "Cluster mode".
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
STATE=${CLUSTER_STATE:-/tmp/orleansprices-cluster}
REDIS_PORT=${REDIS_PORT:-6390}
SILOS=("silo1:11111:30000:8101" "silo2:11112:30001:8102")   # name:silo port:gateway port:health port
GATEWAYS=("gateway1:${GATEWAY1_PORT:-8001}" "gateway2:${GATEWAY2_PORT:-8002}")

pid_alive() { [ -f "$STATE/$1.pid" ] && kill -0 "$(cat "$STATE/$1.pid")" 2>/dev/null; }

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

up() {
  local always_open=false build=true
  for arg in "$@"; do
    case $arg in
      --always-open) always_open=true ;;
      --no-build) build=false ;;
      *) echo "unknown argument: $arg" >&2; exit 2 ;;
    esac
  done
  mkdir -p "$STATE/redis"
  bash scripts/ensure-redis.sh >/dev/null
  if $build; then
    dotnet build silo -c Release -o "$STATE/bin/silo" -v q --nologo
    dotnet build gateway -c Release -o "$STATE/bin/gateway" -v q --nologo
  fi

  start redis redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --appendonly yes --save "" --dir "$STATE/redis"
  for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done

  export Cluster__Redis="127.0.0.1:$REDIS_PORT" Cluster__ServiceId=orleansprices Cluster__ClusterId=local
  export Cluster__AdvertisedHost=127.0.0.1 Market__Clock__AlwaysOpen=$always_open
  for s in "${SILOS[@]}"; do
    IFS=: read -r name silo_port gateway_port http_port <<<"$s"
    Urls="http://127.0.0.1:$http_port" Cluster__SiloPort=$silo_port Cluster__GatewayPort=$gateway_port \
      start "$name" dotnet "$STATE/bin/silo/OrleansPrices.Silo.dll" --contentRoot "$STATE/bin/silo"
  done
  for g in "${GATEWAYS[@]}"; do
    IFS=: read -r name port <<<"$g"
    Urls="http://127.0.0.1:$port" start "$name" dotnet "$STATE/bin/gateway/OrleansPrices.Gateway.dll" --contentRoot "$STATE/bin/gateway"
  done
  for g in "${GATEWAYS[@]}"; do
    IFS=: read -r name port <<<"$g"
    for _ in $(seq 120); do
      curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && break
      sleep 0.5
    done
  done
  status
}

status() {
  for name in redis silo1 silo2 gateway1 gateway2; do
    if pid_alive "$name"; then echo "$name: running (pid $(cat "$STATE/$name.pid"))"; else echo "$name: stopped"; fi
  done
  for g in "${GATEWAYS[@]}"; do
    IFS=: read -r name port <<<"$g"
    echo "$name http://127.0.0.1:$port/health/ready: $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health/ready" 2>/dev/null || true)"
  done
  for s in "${SILOS[@]}"; do
    IFS=: read -r name _ _ http_port <<<"$s"
    echo "$name http://127.0.0.1:$http_port/health/ready: $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$http_port/health/ready" 2>/dev/null || true)"
  done
}

down() {
  # Gateways first (clients move to another gateway), then silos (each leaves the cluster and its
  # stocks reactivate on the others; the last one takes them down), then Redis (AOF synced).
  stop gateway1; stop gateway2; stop silo1 30; stop silo2 30
  if pid_alive redis; then redis-cli -p "$REDIS_PORT" shutdown >/dev/null 2>&1 || true; fi
  stop redis 10
}

case ${1:-} in
  up) shift; up "$@" ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up [--always-open] [--no-build] | down | status" >&2; exit 2 ;;
esac
