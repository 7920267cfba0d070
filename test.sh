#!/usr/bin/env bash
# Runs every test: unit, TestingHost grain clusters, the gateway end to end over real WebSockets,
# the page in Debian's Chromium, and the cluster against a real redis-server (both installed here if
# missing). Extra arguments go to dotnet test,
# e.g. ./test.sh --filter "FullyQualifiedName~EndToEnd".
set -euo pipefail
cd "$(dirname "$0")"

bash scripts/ensure-chromium.sh
bash scripts/ensure-redis.sh
dotnet test OrleansPrices.sln -c Release --logger "console;verbosity=normal" "$@"
