#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests (tests/Browser) if /usr/bin/chromium is missing.
# Idempotent: does nothing when Chromium is already there. Uses sudo only when not root.
# Playwright cannot download its own browser build here; the tests point it at /usr/bin/chromium.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
  echo "chromium present: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "ensure-chromium: not root and sudo is not available; install the 'chromium' package by hand" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# fonts-noto-cjk: the page's labels are Chinese; without a CJK font they render as boxes.
$SUDO apt-get install -y -q --no-install-recommends chromium fonts-noto-cjk

if [ ! -x "$CHROMIUM" ]; then
  echo "ensure-chromium: apt-get finished but $CHROMIUM is still missing" >&2
  exit 1
fi
echo "chromium installed: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
