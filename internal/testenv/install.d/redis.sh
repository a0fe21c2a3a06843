#!/usr/bin/env bash
# Installs redis-server (Debian package) for the shared/ tests. Idempotent.
set -euo pipefail
if command -v redis-server >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y --no-install-recommends redis-server
# The package starts a system service on 6379; tests start their own servers.
$SUDO systemctl disable --now redis-server >/dev/null 2>&1 || true
