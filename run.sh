#!/usr/bin/env bash
# Runs OrleansPrices on the embedded default: one process with a co-hosted silo, the simulated
# A-share market, REST + WebSocket + the web page on http://127.0.0.1:8000.
#   ./run.sh                 follow the real trading calendar (prices move 9:15–15:00 Beijing time)
#   ./run.sh --always-open   hold the simulated market open at any hour (demos at night)
# Any other argument goes to the gateway, e.g. --Market:Simulator:UniverseSize=500.
set -euo pipefail
cd "$(dirname "$0")"

args=()
for a in "$@"; do
  case "$a" in
    --always-open) export Market__Clock__AlwaysOpen=true ;;
    *) args+=("$a") ;;
  esac
done

dotnet build gateway -c Release -v quiet -nologo
exec dotnet gateway/bin/Release/net10.0/OrleansPrices.Gateway.dll --contentRoot "$PWD/gateway" "${args[@]}"
