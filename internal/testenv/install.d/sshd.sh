#!/usr/bin/env bash
# Installs OpenSSH (Debian packages openssh-server, openssh-client) for the
# pool/tcp test that starts workers over ssh to localhost. Idempotent. The
# package's system service is disabled: tests start their own sshd.
set -euo pipefail
if command -v sshd >/dev/null 2>&1 || [ -x /usr/sbin/sshd ]; then
  if command -v ssh >/dev/null 2>&1; then exit 0; fi
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y --no-install-recommends openssh-server openssh-client
$SUDO systemctl disable --now ssh >/dev/null 2>&1 || true
