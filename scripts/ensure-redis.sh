#!/usr/bin/env bash
# Installs Debian's redis-server for the Redis tests (tests/Cluster) and scripts/cluster.sh if it is
# missing. Idempotent: does nothing when redis-server is already on PATH. Uses sudo only when not
# root. The tests start their own redis-server on a free port and do not need the system service.
set -euo pipefail
. "$(dirname "$0")/apt-install.sh"

if command -v redis-server >/dev/null 2>&1; then
  echo "redis-server present: $(redis-server --version)"
  exit 0
fi

apt_install ensure-redis redis-server

if ! command -v redis-server >/dev/null 2>&1; then
  echo "ensure-redis: apt-get finished but redis-server is still missing" >&2
  exit 1
fi
echo "redis-server installed: $(redis-server --version)"
