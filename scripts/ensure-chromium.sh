#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests (tests/Browser) if /usr/bin/chromium is missing.
# Idempotent: does nothing when Chromium is already there. Uses sudo only when not root.
# Playwright cannot download its own browser build here; the tests point it at /usr/bin/chromium.
set -euo pipefail
. "$(dirname "$0")/apt-install.sh"

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
  echo "chromium present: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
  exit 0
fi

# fonts-noto-cjk: the page's labels are Chinese; without a CJK font they render as boxes.
apt_install ensure-chromium chromium fonts-noto-cjk

if [ ! -x "$CHROMIUM" ]; then
  echo "ensure-chromium: apt-get finished but $CHROMIUM is still missing" >&2
  exit 1
fi
echo "chromium installed: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
