#!/usr/bin/env bash
# Installs Work Queue (CCTools 9.x) from Debian for examples/study's baseline:
# coop-computing-tools has work_queue_worker, python3-workqueue the manager's
# Python API for the system /usr/bin/python3. Idempotent.
set -euo pipefail
if command -v work_queue_worker >/dev/null 2>&1 &&
  /usr/bin/python3 -c 'import work_queue' >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y --no-install-recommends coop-computing-tools python3-workqueue
