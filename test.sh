#!/usr/bin/env bash
# Runs every test: unit, TestingHost grain clusters, the gateway end to end over real WebSockets,
# the page in Debian's Chromium, and the cluster against a real redis-server (both installed here if
# missing). Extra arguments go to dotnet test,
# e.g. ./test.sh --filter "FullyQualifiedName~EndToEnd".
set -euo pipefail
cd "$(dirname "$0")"

bash scripts/ensure-chromium.sh
bash scripts/ensure-redis.sh
# The console log is kept so that, when something fails, the failures are repeated at the very end,
# where a CI page that shows only the last lines of the output still shows them.
log="$(mktemp -t orleansprices-test.XXXXXX)"
set +e
dotnet test OrleansPrices.sln -c Release --logger "console;verbosity=normal" "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
if [ "$rc" -ne 0 ]; then
  echo
  echo "==== test.sh: dotnet test exited with $rc; the failures, repeated from above ===="
  # Each failure: its name, its error message and the first lines of its stack trace.
  awk '
    /^  Failed /                { p = 1; stack = 0; print; next }
    /^  (Passed|Skipped) /      { p = 0 }
    /^\[xUnit.net/              { next }
    p && /^  Stack Trace:/      { stack = 1; shown = 0 }
    p && stack                  { if (shown++ < 6) print; next }
    p && /^  Standard Output/   { p = 0 }
    p                           { print }
  ' "$log" | head -n 70
  grep -E "error [A-Z]+[0-9]+:" "$log" | sort -u | head -n 10 || true
fi
rm -f "$log"
exit "$rc"
