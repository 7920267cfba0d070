#!/usr/bin/env bash
# Prints the run's method facts as JSON: machine, versions, runtime settings. Used by run.sh.
set -uo pipefail
BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH/.." && pwd)"
mode=${1:-full} seconds=${2:-0}
q() { python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1"; }
pkgver() { node -p "require('$BENCH/node_modules/$1/package.json').version" 2>/dev/null || echo missing; }
gw="$ROOT/gateway/bin/Release/net10.0/OrleansPrices.Gateway.dll"
cat <<JSON
{
  "mode": $(q "$mode"),
  "seconds": $seconds,
  "date": $(q "$(date -u +%Y-%m-%dT%H:%M:%SZ)"),
  "git": $(q "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"),
  "cpu": $(q "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"),
  "cores": $(nproc),
  "mem": $(q "$(free -h | awk '/^Mem:/ {print $2}')"),
  "kernel": $(q "$(uname -r)"),
  "os": $(q "$(. /etc/os-release && echo "$PRETTY_NAME")"),
  "dotnet_runtime": $(q "$(dotnet --list-runtimes 2>/dev/null | awk '/Microsoft.NETCore.App/ {print $2}' | tail -1)"),
  "aspnetcore_runtime": $(q "$(dotnet --list-runtimes 2>/dev/null | awk '/Microsoft.AspNetCore.App/ {print $2}' | tail -1)"),
  "dotnet_sdk": $(q "$(dotnet --version 2>/dev/null)"),
  "node": $(q "$(node --version)"),
  "ws": $(q "$(pkgver ws)"),
  "uws": $(q "$(pkgver @trufflesuite/uws-js-unofficial)"),
  "gcc": $(q "$(gcc -dumpfullversion 2>/dev/null)"),
  "wrk": $(q "$(wrk -v 2>&1 | head -1 | awk '{print $2}')"),
  "gnuplot": $(q "$(gnuplot --version 2>/dev/null)"),
  "DOTNET_gcServer": $(q "${DOTNET_gcServer:-unset}"),
  "DOTNET_GCgen0size": $(q "${DOTNET_GCgen0size:-unset}"),
  "DOTNET_GCDynamicAdaptationMode": $(q "${DOTNET_GCDynamicAdaptationMode:-unset}"),
  "server_cpu": $(q "${BENCH_SERVER_CPU:-0}"),
  "client_cpu": $(q "${BENCH_CLIENT_CPU:-1}"),
  "gateway_dll": $(q "$( [ -f "$gw" ] && date -u -r "$gw" +%Y-%m-%dT%H:%M:%SZ || echo missing)"),
  "loadavg_at_end": $(q "$(cut -d' ' -f1-3 /proc/loadavg)")
}
JSON
