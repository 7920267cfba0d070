#!/usr/bin/env bash
# Cluster figures for the closing note of issue 5, with the same clients (bench/loadclient) and load:
#
#  1. latency: end-to-end, grain publish -> client receipt (the price_update "ts" is the earliest
#     grain publish time of its rows), p50/p99 over N default-stream clients, for
#       embedded   one gateway process hosting its own silo (the default)
#       cluster    Redis + 2 silos + 2 gateways as local processes (scripts/cluster.sh), the N
#                  clients on gateway 1, then split N/2 + N/2 over both gateways
#  2. throughput at a fixed high feed rate (every stock trades every --hi-tick): ingest quotes/s and
#     StockGrain deltas/s (the silos' /metrics), mean poll time, and updates/s delivered to
#     --hi-conns clients, for the embedded process, a 1-silo cluster and a 2-silo cluster, each
#     measured after --hi-warmup seconds (a starting grid activates every StockGrain, registers
#     every stream and warms its JIT: the first half minute is no measure of what it sustains).
#     Every cluster starts on an empty Redis: a run must not inherit the last one's subscriptions.
#
#   bench/cluster/run.sh [--conns 1000] [--duration 30] [--warmup 5] [--universe 5000] [--tick 00:00:03]
#                        [--hi-universe 2000] [--hi-tick 00:00:00.100] [--hi-conns 5] [--hi-warmup 45] [--skip-build]
#                        [--only latency|throughput]
#
# The latency runs use the production shape (the default stream carries the signal-list stocks, each
# stock trades with its own chance per tick); the throughput runs move every stock on every tick
# (Market:Simulator:TradeEveryPoll) and put every stock on the default stream (Gateway:DefaultStream
# AllStocks), so delivered updates/s is what the grid delivers, not what the lists select.
#
# Nothing is pinned to a core (five processes share the machine's cores); the load average before
# each run is printed with it. Results: one JSON line per run under bench/results/cluster/, and a
# summary at the end.
set -euo pipefail
BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROOT="$(cd "$BENCH/.." && pwd)"
OUT="$BENCH/results/cluster"
CONNS=1000 DURATION=30 WARMUP=5 UNIVERSE=5000 TICK=00:00:03 HI_UNIVERSE=2000 HI_TICK=00:00:00.100 HI_CONNS=5 HI_WARMUP=45 BUILD=1 ONLY=all
while [ $# -gt 0 ]; do
  case "$1" in
    --conns) CONNS=$2; shift ;;
    --duration) DURATION=$2; shift ;;
    --warmup) WARMUP=$2; shift ;;
    --universe) UNIVERSE=$2; shift ;;
    --tick) TICK=$2; shift ;;
    --hi-universe) HI_UNIVERSE=$2; shift ;;
    --hi-tick) HI_TICK=$2; shift ;;
    --hi-conns) HI_CONNS=$2; shift ;;
    --hi-warmup) HI_WARMUP=$2; shift ;;
    --skip-build) BUILD=0 ;;
    --only) ONLY=$2; shift ;;
    -h|--help) sed -n 2,28p "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

SILO_BIN="${BENCH_SILO_BIN:-$ROOT/silo/bin/Release/net10.0}"            # BENCH_*_BIN: another build's outputs (with --skip-build)
GATEWAY_BIN="${BENCH_GATEWAY_BIN:-$ROOT/gateway/bin/Release/net10.0}"
LOADCLIENT="$BENCH/loadclient/loadclient"
export CLUSTER_STATE=${CLUSTER_STATE:-/tmp/orleansprices-bench-cluster} CLUSTER_PORT_OFFSET=${BENCH_CLUSTER_PORT_OFFSET:-1000}   # every port stays below the ephemeral range (32768)
export CLUSTER_SILO_BIN="$SILO_BIN" CLUSTER_GATEWAY_BIN="$GATEWAY_BIN"
export Logging__LogLevel__Default=Warning Logging__LogLevel__OrleansPrices=Warning DOTNET_CLI_TELEMETRY_OPTOUT=1
EMBEDDED_PORT=$((8000 + CLUSTER_PORT_OFFSET + 50))
GW1=$((8001 + CLUSTER_PORT_OFFSET)) GW2=$((8002 + CLUSTER_PORT_OFFSET))
EMBEDDED_PID=""

log() { printf '[cluster-bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

cleanup() {
  [ -n "$EMBEDDED_PID" ] && kill -TERM "$EMBEDDED_PID" 2>/dev/null && wait "$EMBEDDED_PID" 2>/dev/null
  bash "$ROOT/scripts/cluster.sh" down >/dev/null 2>&1 || true
}
trap cleanup EXIT

wait_ready() { # url
  for _ in $(seq 240); do
    [ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$1/health/ready" || true)" = 200 ] && return 0
    sleep 0.5
  done
  log "$1 not ready after 120 s"; return 1
}

# Sums a Prometheus series (all label sets) from the given /metrics URLs.
scrape() { # metric url...
  local metric=$1; shift
  local u
  for u in "$@"; do curl -s -m 5 "$u/metrics" || true; done \
    | awk -v m="$metric" '$1 == m || index($1, m "{") == 1 { s += $2 } END { printf "%.3f\n", s + 0 }'
}

market_env() { # universe tick [every-stock]
  export Market__Clock__AlwaysOpen=true Market__Simulator__UniverseSize=$1 Market__Simulator__TickInterval=$2
  if [ "${3:-}" = every-stock ]; then
    export Market__Simulator__TradeEveryPoll=true Gateway__DefaultStream=AllStocks
  else
    export Market__Simulator__TradeEveryPoll=false Gateway__DefaultStream=SignalLists
  fi
}

start_embedded() {
  Urls="http://127.0.0.1:$EMBEDDED_PORT" Cluster__SiloPort=$((11100 + CLUSTER_PORT_OFFSET)) Cluster__GatewayPort=$((29900 + CLUSTER_PORT_OFFSET)) \
    dotnet "$GATEWAY_BIN/OrleansPrices.Gateway.dll" --contentRoot "$GATEWAY_BIN" >"$OUT/embedded.log" 2>&1 &
  EMBEDDED_PID=$!
  wait_ready "http://127.0.0.1:$EMBEDDED_PORT"
}

stop_embedded() {
  kill -TERM "$EMBEDDED_PID" 2>/dev/null || true
  wait "$EMBEDDED_PID" 2>/dev/null || true
  EMBEDDED_PID=""
}

start_cluster() { # silos gateways
  rm -rf "${CLUSTER_STATE:?}/redis"
  bash "$ROOT/scripts/cluster.sh" up --always-open --no-build --silos "$1" --gateways "$2" >"$OUT/cluster-up.log" 2>&1
  local i
  for i in $(seq "$1"); do wait_ready "http://127.0.0.1:$((8100 + i + CLUSTER_PORT_OFFSET))" || { cat "$OUT/cluster-up.log" >&2; return 1; }; done
  for i in $(seq "$2"); do wait_ready "http://127.0.0.1:$((8000 + i + CLUSTER_PORT_OFFSET))" || { cat "$OUT/cluster-up.log" >&2; return 1; }; done
}

# loadclient against PORT with CONNS default-stream clients; prints its JSON line.
load() { # label port conns [server-pid]
  local pid_arg=()
  [ -n "${4:-}" ] && pid_arg=(--server-pid "$4")
  "$LOADCLIENT" --port "$2" --conns "$3" --src-ips 4 --warmup "$WARMUP" --duration "$DURATION" \
    --match price_update --label "$1" "${pid_arg[@]}"
}

field() { python3 -c "import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2], {}, d))" "$1" "$2"; }

summary_latency() { # label json
  printf '%-40s msgs/s %8s  updates/s %9s  latency p50 %6.1f ms  p99 %7.1f ms  (per-second p99 median %6.1f ms)\n' "$1" \
    "$(field "$2" 'msgs_per_s')" "$(field "$2" 'updates_per_s')" "$(field "$2" 'lat_us["p50"]/1000')" \
    "$(field "$2" 'lat_us["p99"]/1000')" "$(field "$2" 'p99_slice_median_us/1000')"
}

# Ingest throughput over one window while HI_CONNS clients take the broadcast from PORT.
throughput() { # label port metrics-urls...
  local label=$1 port=$2; shift 2
  sleep "$HI_WARMUP"
  local q0 d0 ps0 pc0 q1 d1 ps1 pc1 started ended json
  q0=$(scrape orleansprices_ingest_quotes_total "$@"); d0=$(scrape orleansprices_ingest_deltas_total "$@")
  ps0=$(scrape orleansprices_ingest_poll_duration_seconds_sum "$@"); pc0=$(scrape orleansprices_ingest_poll_duration_seconds_count "$@")
  started=$(date +%s.%N)
  json=$(WARMUP=0 load "$label" "$port" "$HI_CONNS")
  ended=$(date +%s.%N)
  q1=$(scrape orleansprices_ingest_quotes_total "$@"); d1=$(scrape orleansprices_ingest_deltas_total "$@")
  ps1=$(scrape orleansprices_ingest_poll_duration_seconds_sum "$@"); pc1=$(scrape orleansprices_ingest_poll_duration_seconds_count "$@")
  echo "$json" >>"$OUT/results.jsonl"
  awk -v l="$label" -v q="$(awk "BEGIN { print $q1 - $q0 }")" -v d="$(awk "BEGIN { print $d1 - $d0 }")" -v t="$(awk "BEGIN { print $ended - $started }")" \
      -v ps="$(awk "BEGIN { print $ps1 - $ps0 }")" -v pc="$(awk "BEGIN { print $pc1 - $pc0 }")" -v u="$(field "$json" 'updates_per_s')" \
      -v p50="$(field "$json" 'lat_us["p50"]/1000')" -v p99="$(field "$json" 'lat_us["p99"]/1000')" \
    'BEGIN { printf "%-40s ingest %8.0f quotes/s  %8.0f deltas/s  polls %5.1f/s, mean poll %6.1f ms  delivered %8.0f updates/s  p50 %6.1f ms  p99 %7.1f ms\n", l, q / t, d / t, pc / t, (pc > 0 ? ps / pc * 1000 : 0), u, p50, p99 }'
}

mkdir -p "$OUT"
: >"$OUT/results.jsonl"
if [ "$BUILD" = 1 ]; then
  log "building silo and gateway (Release), the load client"
  (cd "$ROOT" && flock /tmp/orleansprices-build.lock dotnet build silo -c Release -v q -nologo -clp:ErrorsOnly >/dev/null \
    && flock /tmp/orleansprices-build.lock dotnet build gateway -c Release -v q -nologo -clp:ErrorsOnly >/dev/null)
  make -s -C "$BENCH/loadclient" all >/dev/null
fi
bash "$ROOT/scripts/cluster.sh" down >/dev/null 2>&1 || true
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
log "machine: $(nproc) cores; $CONNS clients, warmup ${WARMUP}s, window ${DURATION}s"

LATENCY=() THROUGHPUT=()
# ---- 1. latency -----------------------------------------------------------------------------
if [ "$ONLY" != throughput ]; then
market_env "$UNIVERSE" "$TICK"
log "latency: embedded (one gateway process with its silo), $UNIVERSE stocks every $TICK; load $(loadavg)"
start_embedded
j=$(load embedded "$EMBEDDED_PORT" "$CONNS" "$EMBEDDED_PID"); echo "$j" >>"$OUT/results.jsonl"
LATENCY+=("$(summary_latency "embedded, $CONNS clients" "$j")")
stop_embedded

log "latency: cluster (Redis + 2 silos + 2 gateways); load $(loadavg)"
start_cluster 2 2
j=$(load cluster-gw1 "$GW1" "$CONNS" "$(cat "$CLUSTER_STATE/gateway1.pid")"); echo "$j" >>"$OUT/results.jsonl"
LATENCY+=("$(summary_latency "cluster, $CONNS clients on gateway 1" "$j")")
log "latency: cluster, clients split over both gateways; load $(loadavg)"
half=$((CONNS / 2))
load cluster-split-gw1 "$GW1" "$half" >"$OUT/split1.json" &
p1=$!
load cluster-split-gw2 "$GW2" "$half" >"$OUT/split2.json"
wait "$p1"
cat "$OUT/split1.json" "$OUT/split2.json" >>"$OUT/results.jsonl"
LATENCY+=("$(summary_latency "cluster, $half clients on gateway 1" "$(cat "$OUT/split1.json")")")
LATENCY+=("$(summary_latency "cluster, $half clients on gateway 2" "$(cat "$OUT/split2.json")")")
bash "$ROOT/scripts/cluster.sh" down >/dev/null
fi

# ---- 2. throughput at a high feed rate ----------------------------------------------------------
if [ "$ONLY" != latency ]; then
market_env "$HI_UNIVERSE" "$HI_TICK" every-stock
log "throughput: $HI_UNIVERSE stocks every $HI_TICK, $HI_CONNS clients; embedded; load $(loadavg)"
start_embedded
THROUGHPUT+=("$(throughput "embedded" "$EMBEDDED_PORT" "http://127.0.0.1:$EMBEDDED_PORT")")
stop_embedded
for silos in 1 2; do
  log "throughput: cluster with $silos silo(s), 1 gateway; load $(loadavg)"
  start_cluster "$silos" 1
  urls=()
  for i in $(seq "$silos"); do urls+=("http://127.0.0.1:$((8100 + i + CLUSTER_PORT_OFFSET))"); done
  THROUGHPUT+=("$(throughput "cluster, $silos silo(s)" "$GW1" "${urls[@]}")")
  bash "$ROOT/scripts/cluster.sh" down >/dev/null
done
fi

echo
echo "bench/cluster/run.sh --conns $CONNS --duration $DURATION --universe $UNIVERSE --tick $TICK --hi-universe $HI_UNIVERSE --hi-tick $HI_TICK --hi-conns $HI_CONNS --hi-warmup $HI_WARMUP  ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(loadavg))"
echo "latency, publish -> client receipt, $UNIVERSE stocks every $TICK:"
for line in "${LATENCY[@]}"; do echo "  $line"; done
echo "throughput, $HI_UNIVERSE stocks every $HI_TICK (offered $(echo "$HI_TICK" | awk -F: -v n="$HI_UNIVERSE" '{ printf "%.0f", n / ($1 * 3600 + $2 * 60 + $3) }') quotes/s):"
for line in "${THROUGHPUT[@]}"; do echo "  $line"; done
