#!/usr/bin/env bash
# Installs a one-node Slurm (Debian packages: slurmctld, slurmd, slurm-client,
# munge) for the pool/slurm tests. Idempotent. The packages' system services are
# disabled: tests start their own daemons in a temporary state directory.
set -euo pipefail
if command -v slurmctld >/dev/null 2>&1 && command -v slurmd >/dev/null 2>&1 &&
   command -v sbatch >/dev/null 2>&1 && command -v munged >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y --no-install-recommends slurmctld slurmd slurm-client munge
for s in slurmctld slurmd munge; do
  $SUDO systemctl disable --now "$s" >/dev/null 2>&1 || true
done
