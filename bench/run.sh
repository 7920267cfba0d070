#!/usr/bin/env bash
# The fan-out benchmark suite of issue 3: one command builds what it needs, runs every workload
# against every server (server pinned to core 0, load client to core 1), writes raw JSON to
# bench/results/, then BENCHMARKS.md and the plots under bench/plots/.
#
#   bench/run.sh             full run (< 10 minutes)
#   bench/run.sh --quick     smoke run (~2 minutes): fewer workloads, shorter windows
#   options: --only t1,t2    run only these targets (and "rest")   --workloads w1,w2 (and "rest")
#            --skip-setup    do not install or build  --no-report         leave BENCHMARKS.md alone
#            --build-gateway also build gateway/ (Release) before running its targets
set -uo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH/.." && pwd)"
RESULTS="$BENCH/results"
BUILD_LOCK=/tmp/orleansprices-build.lock
GATEWAY_DLL="$ROOT/gateway/bin/Release/net10.0/OrleansPrices.Gateway.dll"

MODE=full ONLY="" ONLY_WORKLOADS="" SETUP=1 REPORT=1 BUILD_GATEWAY=0
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) MODE=quick ;;
    --only) ONLY="$2"; shift ;;
    --workloads) ONLY_WORKLOADS="$2"; shift ;;
    --skip-setup) SETUP=0 ;;
    --no-report) REPORT=0 ;;
    --build-gateway) BUILD_GATEWAY=1 ;;
    -h|--help) sed -n 2,12p "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

# .NET runtime settings every .NET server runs with (recorded in the report). Workstation GC
# matches the gateway's csproj; DATAS only applies to Server GC.
export DOTNET_gcServer="${DOTNET_gcServer:-0}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
SERVER_CPU="${BENCH_SERVER_CPU:-0}"
CLIENT_CPU="${BENCH_CLIENT_CPU:-1}"
PORT_BASE="${BENCH_PORT_BASE:-19100}"
GATEWAY_SEND="${BENCH_GATEWAY_SEND:-}"     # e.g. a subscribe message, if the gateway wants one

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
T_START=$(date +%s)

# ---- setup ---------------------------------------------------------------------------------
setup() {
  local need=()
  command -v wrk >/dev/null || need+=(wrk)
  command -v gnuplot >/dev/null || need+=(gnuplot-nox)
  command -v ss >/dev/null || need+=(iproute2)
  command -v taskset >/dev/null || need+=(util-linux)
  command -v make >/dev/null || need+=(make)
  command -v curl >/dev/null || need+=(curl)
  command -v gcc >/dev/null || need+=(gcc)
  if [ ${#need[@]} -gt 0 ]; then
    log "apt-get install ${need[*]}"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}") >/dev/null 2>&1 \
      || log "apt-get failed for ${need[*]}: plots or REST concurrency may be missing"
  fi
  if [ ! -d "$BENCH/node_modules/ws" ] || [ ! -d "$BENCH/node_modules/@trufflesuite/uws-js-unofficial" ]; then
    log "npm ci in bench/"
    (cd "$BENCH" && npm ci --no-audit --no-fund --loglevel=error) || { log "npm ci failed"; exit 1; }
  fi
  log "make loadclient"
  make -s -C "$BENCH/loadclient" all test >/dev/null || { log "loadclient build or self-test failed"; exit 1; }
  local p dll
  for p in peers/brief-csharp:BriefCsharpPeer peers/signalr:SignalRPeer; do
    dll="$BENCH/${p%%:*}/bin/Release/net10.0/${p##*:}.dll"
    # skip the (slow, on a busy machine) no-op build when the binary is newer than its sources
    if [ -f "$dll" ] && [ -z "$(find "$BENCH/${p%%:*}" "$BENCH/peers/common" "$ROOT/Directory.Build.props" \
         \( -path '*/bin' -o -path '*/obj' \) -prune -o -type f -newer "$dll" -print -quit)" ]; then
      continue
    fi
    log "dotnet build -c Release bench/${p%%:*}"
    (cd "$BENCH/${p%%:*}" && flock "$BUILD_LOCK" dotnet build -c Release -nologo -v q -clp:ErrorsOnly) >/dev/null \
      || { log "build of bench/${p%%:*} failed"; exit 1; }
  done
  if [ "$BUILD_GATEWAY" = 1 ]; then
    for p in gateway bench/fanout-host; do
      [ -d "$ROOT/$p" ] || continue
      log "dotnet build -c Release $p/"
      (cd "$ROOT/$p" && flock "$BUILD_LOCK" dotnet build -c Release -nologo -v q -clp:ErrorsOnly) >/dev/null \
        || log "build of $p failed: its target will be skipped"
    done
  fi
}

raise_nofile() {
  local hard
  hard=$(ulimit -Hn)
  if [ "$hard" != unlimited ] && [ "$hard" -lt 1048576 ]; then
    ulimit -Hn 1048576 2>/dev/null || true
    hard=$(ulimit -Hn)
  fi
  ulimit -n "$hard" 2>/dev/null || true
  log "open files limit: $(ulimit -n)"
}

# ---- targets -------------------------------------------------------------------------------
ALL_TARGETS=(uws node-ws brief-csharp signalr gateway-fanout gateway-grains)

FANOUT_DLL="$BENCH/fanout-host/bin/Release/net10.0/OrleansPrices.FanOutHost.dll"

# Prints the command line that starts TARGET on PORT publishing every INTERVAL ms, or nothing and
# a reason on stderr when the target cannot run here.
target_cmd() {
  local t=$1 port=$2 interval=$3 conns=$4
  local peer_args="--port $port --clients-expected $conns --interval-ms $interval --stocks 50"
  case "$t" in
    uws) echo "node $BENCH/peers/uws/server.js $peer_args" ;;
    node-ws) echo "node $BENCH/peers/node-ws/server.js $peer_args" ;;
    brief-csharp) echo "dotnet $BENCH/peers/brief-csharp/bin/Release/net10.0/BriefCsharpPeer.dll $peer_args" ;;
    signalr) echo "dotnet $BENCH/peers/signalr/bin/Release/net10.0/SignalRPeer.dll $peer_args" ;;
    gateway-fanout)
      # The gateway's fan-out fed straight in: bench/fanout-host (AddPriceFanOut + a direct feed),
      # else the gateway itself if it grew a Gateway:Bench:DirectFeed switch.
      if [ -f "$FANOUT_DLL" ]; then
        echo "dotnet $FANOUT_DLL --Urls=http://127.0.0.1:$port --Feed:Stocks=50 --Feed:IntervalMs=$interval"
      elif [ -f "$GATEWAY_DLL" ] && grep -q DirectFeed "$GATEWAY_DLL"; then
        echo "dotnet $GATEWAY_DLL --contentRoot $ROOT/gateway --Urls=http://127.0.0.1:$port"
      else
        echo "binary missing: ${FANOUT_DLL#"$ROOT"/} (build it: bench/run.sh --build-gateway)" >&2
        return 1
      fi ;;
    gateway-grains)
      if [ ! -f "$GATEWAY_DLL" ]; then
        echo "binary missing: ${GATEWAY_DLL#"$ROOT"/} (build it: bench/run.sh --build-gateway, or flock $BUILD_LOCK dotnet build -c Release gateway/gateway.csproj)" >&2
        return 1
      fi
      # content root: the gateway reads gateway/appsettings.json, as ./run.sh starts it
      echo "dotnet $GATEWAY_DLL --contentRoot $ROOT/gateway --Urls=http://127.0.0.1:$port" ;;
    *) echo "unknown target $t" >&2; return 1 ;;
  esac
}

# Environment for TARGET (KEY=VALUE words). Silo ports move with the run (below the ephemeral
# range) so a developer's own silo on 11111/30000 does not collide; logging is kept to warnings.
# The gateway with grains, fed like the peers: every stock of the universe trades on every tick and
# the default stream carries all of them (not only the signal lists), so each tick is one
# price_update of 50 rows. The REST run keeps the product's shape (signal lists, own trade chances).
gateway_feed_shape() {
  [ "${BENCH_FEED_SHAPE:-peers}" = peers ] && echo "Gateway__DefaultStream=AllStocks Market__Simulator__TradeEveryPoll=true"
}

target_env() {
  local t=$1 port=$2 interval=$3
  local tick quiet cluster
  # the simulator accepts ticks of 100 ms .. 1 min: the idle workload gets one a minute
  tick=$(awk -v ms="$interval" 'BEGIN { s = ms / 1000; if (s > 60) s = 60; printf "%02d:%02d:%06.3f", int(s / 3600), int(s % 3600 / 60), s - 60 * int(s / 60) }')
  quiet="Logging__LogLevel__Default=Warning Logging__LogLevel__Polly=Warning Logging__LogLevel__Orleans=Warning Logging__LogLevel__OrleansPrices=Warning"
  cluster="Cluster__SiloPort=$((port + 2000)) Cluster__GatewayPort=$((port + 4000))"
  case "$t" in
    gateway-grains)
      echo "Gateway__Urls=http://127.0.0.1:$port Urls=http://127.0.0.1:$port $quiet $cluster" \
           "Market__Simulator__UniverseSize=${BENCH_UNIVERSE:-50} Market__Simulator__TickInterval=$tick" \
           "Market__Clock__AlwaysOpen=true $(gateway_feed_shape)" ;;
    gateway-fanout)
      echo "Gateway__Urls=http://127.0.0.1:$port Urls=http://127.0.0.1:$port $quiet $cluster" \
           "Gateway__Bench__DirectFeed=true Gateway__Bench__Stocks=50 Gateway__Bench__IntervalMs=$interval" \
           "Market__Clock__AlwaysOpen=true" ;;
    *) echo "" ;;
  esac
}

# ---- workloads -----------------------------------------------------------------------------
# name interval_ms conns stall warmup_s duration_s
if [ "$MODE" = quick ]; then
  WORKLOADS=(
    "1s-10k 1000 10000 0 2 3"
    "100ms-1k 100 1000 0 2 3"
    "stall-1k 100 1000 1 3 3"
  )
else
  WORKLOADS=(
    "1s-1k 1000 1000 0 3 8"
    "1s-10k 1000 10000 0 3 8"
    "100ms-1k 100 1000 0 3 8"
    "100ms-10k 100 10000 0 3 5"
    "idle-10k 600000 10000 0 2 2"
    "stall-1k 100 1000 1 4 8"
  )
fi

selected() {  # selected LIST ITEM
  [ -z "$1" ] && return 0
  case ",$1," in *",$2,"*) return 0 ;; esac
  return 1
}

wait_listening() {  # pid port timeout_s
  local pid=$1 port=$2 deadline=$(( $(date +%s) + $3 ))
  while [ "$(date +%s)" -le "$deadline" ]; do
    kill -0 "$pid" 2>/dev/null || return 1
    ss -Hltn "sport = :$port" 2>/dev/null | grep -q LISTEN && return 0
    sleep 0.2
  done
  return 1
}

stop_server() {  # pid
  local pid=$1 i
  kill "$pid" 2>/dev/null || return 0
  for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

write_note() {  # file label key message
  printf '{"label":"%s","%s":"%s"}\n' "$2" "$3" "$(printf '%s' "$4" | sed 's/\\/\\\\/g; s/"/\\"/g')" > "$1"
}

RUN_INDEX=0
run_one() {  # target workload-spec
  local t=$1 name interval conns stall warm dur
  read -r name interval conns stall warm dur <<<"$2"
  local label="$t/$name" out="$RESULTS/${t}__${name}.json" slog="$RESULTS/${t}__${name}.server.log"
  RUN_INDEX=$((RUN_INDEX + 1))
  local port=$((PORT_BASE + RUN_INDEX))
  local cmd env_words
  if ! cmd=$(target_cmd "$t" "$port" "$interval" "$conns" 2>"$slog.reason"); then
    local why; why=$(cat "$slog.reason"); rm -f "$slog.reason"
    log "SKIP $label: $why"
    write_note "$out" "$label" skipped "$why"
    return
  fi
  rm -f "$slog.reason"
  env_words=$(target_env "$t" "$port" "$interval")
  local startup=20
  case "$t" in gateway-*) startup=90 ;; esac
  # shellcheck disable=SC2086
  env $env_words taskset -c "$SERVER_CPU" $cmd >"$slog" 2>&1 &
  local pid=$!
  if ! wait_listening "$pid" "$port" "$startup"; then
    log "FAIL $label: server did not listen on $port within ${startup}s (log: ${slog#"$ROOT"/})"
    write_note "$out" "$label" error "server did not start; see $(basename "$slog")"
    stop_server "$pid"
    return
  fi
  local extra=()
  [ "$t" = signalr ] && extra+=(--signalr)
  [ "$stall" -gt 0 ] && extra+=(--stall "$stall")
  case "$t" in gateway-*) [ -n "$GATEWAY_SEND" ] && extra+=(--send "$GATEWAY_SEND") ;; esac
  local src_ips=1
  [ "$conns" -gt 5000 ] && src_ips=4
  log "run  $label: $conns clients, every ${interval} ms, stall $stall, warm-up ${warm}s, window ${dur}s"
  if taskset -c "$CLIENT_CPU" "$BENCH/loadclient/loadclient" --port "$port" --conns "$conns" \
       --src-ips "$src_ips" --connect-timeout 60 --server-core "$SERVER_CPU" --client-core "$CLIENT_CPU" --warmup "$warm" --duration "$dur" --server-pid "$pid" \
       --expect-interval-ms "$interval" --label "$label" "${extra[@]}" >"$out.tmp" 2>"$out.err"; then
    mv "$out.tmp" "$out"
    rm -f "$out.err"
    python3 - "$out" <<'EOF' >&2
import json, sys
d = json.load(open(sys.argv[1]))
l = d["lat_us"]
print("         -> open %d, %.0f msg/s (%.0f%% delivered), p50 %.1f ms, p99 %.1f ms, server %s us/msg, %s KiB/conn, client CPU %.0f%%" % (
    d["conns_open"], d["msgs_per_s"], 100 * d.get("delivery_ratio", 0), l["p50"] / 1000, l["p99"] / 1000,
    d.get("server_cpu_us_per_msg"), d.get("rss_per_conn_kib"), d["client_cpu_pct"]))
EOF
  else
    log "FAIL $label: load client exited with an error: $(tail -c 300 "$out.err")"
    write_note "$out" "$label" error "load client failed: $(tail -c 200 "$out.err" | tr '\n' ' ')"
    rm -f "$out.tmp"
  fi
  stop_server "$pid"
}

# ---- REST ----------------------------------------------------------------------------------
run_rest() {
  # The product's signal list; until the gateway serves it, the node-ws peer's static stand-in.
  local label target port=$((PORT_BASE + 900)) cmd env_words
  if [ -f "$GATEWAY_DLL" ]; then
    target=gateway-grains
    cmd="dotnet $GATEWAY_DLL --contentRoot $ROOT/gateway"
    cmd="$cmd --Urls=http://127.0.0.1:$port"
    # Level-1 snapshots arrive about every 3 s (../shared/notes/ashare-facts.md): the market ticks at that pace.
    env_words="$(BENCH_FEED_SHAPE=product target_env gateway-grains "$port" 3000) Market__Simulator__UniverseSize=5000"
    # Measured in its steady state: a new StockGrain publishes for the longest follow lease (60 s)
    # and a pulling agent keeps a stream that stopped for five minutes; shorter here, so that after the
    # settle below only the followed stocks publish, as in a gateway that has run for six minutes.
    env_words="$env_words Grid__Stocks__MaxFollowLease=00:00:06 Gateway__Subscriptions__FollowLease=00:00:06 Grid__Streams__InactivityPeriod=00:00:10"
  else
    target=stand-in-node
    cmd="node $BENCH/peers/node-ws/server.js --port $port --interval-ms 600000"
    env_words=""
    log "REST: gateway binary missing; measuring the node-ws peer's static stand-in to exercise the method"
  fi
  local slog="$RESULTS/rest__${target}.server.log"
  # shellcheck disable=SC2086
  env $env_words taskset -c "$SERVER_CPU" $cmd >"$slog" 2>&1 &
  local pid=$!
  if ! wait_listening "$pid" "$port" 90; then
    log "FAIL REST: $target did not listen on $port"
    write_note "$RESULTS/rest__${target}__sequential.json" "rest/$target" error "server did not start"
    stop_server "$pid"
    return
  fi
  local url="http://127.0.0.1:$port/api/stocks/signal/buy"
  if [ "$target" = gateway-grains ]; then
    # measure a warm gateway: wait until its signal lists are loaded (/healthz answers 200)
    local i code=000
    for i in $(seq 1 120); do
      code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$port/healthz" || true)
      [ "$code" = 200 ] && break
      sleep 0.5
    done
    log "REST: /healthz answered $code after ~$((i / 2)) s"
    # and past its start: the first seconds after /healthz still activate the 5,000 grains and
    # compile what the requests and ticks run (at 1 s after /healthz, 255 requests of 200 req/s
    # were slow in the first 2.3 s); a server that runs for days is measured warm.
    # 25 s: the unfollowed stocks stop publishing 6 s after their grains activate (activation goes
    # on after /healthz) and leave the agents 10 s later, checked every second.
    local settle=25
    [ "$MODE" = quick ] && settle=3
    log "REST: ${settle} s for the grid to settle"
    sleep "$settle"
  fi
  local n=1000 warm=200 d_open=10
  [ "$MODE" = quick ] && n=300 warm=50 d_open=3
  local rc="$BENCH/loadclient/restclient" port_args=(--port "$port" --path /api/stocks/signal/buy)
  local cpu_args=(--server-pid "$pid" --server-core "$SERVER_CPU" --client-core "$CLIENT_CPU")
  log "REST: $n sequential GETs of $url"
  taskset -c "$CLIENT_CPU" "$rc" "${port_args[@]}" --requests "$n" --warmup "$warm" "${cpu_args[@]}" \
    --label "rest/$target/sequential" >"$RESULTS/rest__${target}__sequential.json" 2>>"$slog" || log "REST sequential run failed"
  # 200 app connections, open loop (requests at a fixed rate whatever the answers do, each latency
  # from its due time), gzip as apps ask for it and plain: the target of issue 3 is p99 < 2 ms here.
  # The C client frames the answers without inflating them: the client core is not the limit.
  local r mode
  for r in 200 1000; do
    for mode in gzip plain; do
      log "REST: open loop, 200 connections, $r req/s, $mode"
      # shellcheck disable=SC2046
      taskset -c "$CLIENT_CPU" "$rc" "${port_args[@]}" --conns 200 --rate "$r" --duration "$d_open" --warmup 200 \
        $([ "$mode" = gzip ] && echo --gzip) "${cpu_args[@]}" --label "rest/$target/open-200c-${r}rps-$mode" \
        --timeline "$RESULTS/rest__${target}__open200_${r}_${mode}.timeline" \
        >"$RESULTS/rest__${target}__open200_${r}_${mode}.json" 2>>"$slog" || log "REST open-loop run failed"
    done
  done
  if command -v wrk >/dev/null; then
    local d=5
    [ "$MODE" = quick ] && d=3
    log "REST: wrk, 200 connections, ${d}s"
    taskset -c "$CLIENT_CPU" wrk -t1 -c200 -d2s "$url" >/dev/null 2>&1   # warm-up
    taskset -c "$CLIENT_CPU" wrk -t1 -c200 -d"${d}s" --timeout 5s -s "$BENCH/rest/wrk-report.lua" "$url" 2>&1 \
      | sed -n 's/^JSON //p' | python3 -c "import json,sys; d=json.loads(sys.stdin.read()); d['label']='rest/$target/wrk-200'; d['url']='$url'; print(json.dumps(d))" \
      >"$RESULTS/rest__${target}__wrk200.json" || log "REST wrk run failed"
  else
    log "REST: wrk missing, concurrent mode skipped"
  fi
  stop_server "$pid"
}

# ---- main ----------------------------------------------------------------------------------
[ "$SETUP" = 1 ] && setup
raise_nofile
mkdir -p "$RESULTS"
# A whole run starts from an empty results/; a partial one (--only/--workloads) replaces only its
# own files, so it can fill in or redo part of the last run before the report is made again.
if [ -z "$ONLY" ] && [ -z "$ONLY_WORKLOADS" ]; then
  rm -f "$RESULTS"/*.json "$RESULTS"/*.log "$RESULTS"/*.err "$RESULTS"/*.timeline
fi

for t in "${ALL_TARGETS[@]}"; do
  selected "$ONLY" "$t" || continue
  rm -f "$RESULTS/${t}__skipped.json"
  if ! why=$(target_cmd "$t" 0 1000 0 2>&1 >/dev/null); then
    log "SKIP $t: $why"
    write_note "$RESULTS/${t}__skipped.json" "$t" skipped "$why"
    continue
  fi
  for w in "${WORKLOADS[@]}"; do
    selected "$ONLY_WORKLOADS" "${w%% *}" || continue
    run_one "$t" "$w"
  done
done
if selected "$ONLY" rest && selected "$ONLY_WORKLOADS" rest; then run_rest; fi

T_END=$(date +%s)
"$BENCH/meta.sh" "$MODE" "$((T_END - T_START))" >"$RESULTS/meta.json" || log "meta.sh failed"
if [ "$REPORT" = 1 ]; then
  python3 "$BENCH/report.py" "$RESULTS" "$ROOT/BENCHMARKS.md" "$BENCH/plots" || { log "report failed"; exit 1; }
  log "wrote BENCHMARKS.md and bench/plots/ in $((T_END - T_START)) s of runs"
fi
