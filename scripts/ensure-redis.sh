#!/usr/bin/env bash
# Installs Debian's redis-server for the Redis tests (tests/Cluster) and scripts/cluster.sh if it is
# missing. Idempotent: does nothing when redis-server is already on PATH. Uses sudo only when not
# root. The tests start their own redis-server on a free port and do not need the system service.
set -euo pipefail

if command -v redis-server >/dev/null 2>&1; then
  echo "redis-server present: $(redis-server --version)"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "ensure-redis: not root and sudo is not available; install the 'redis-server' package by hand" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y -q --no-install-recommends redis-server; then
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends redis-server
fi

if ! command -v redis-server >/dev/null 2>&1; then
  echo "ensure-redis: apt-get finished but redis-server is still missing" >&2
  exit 1
fi
echo "redis-server installed: $(redis-server --version)"
