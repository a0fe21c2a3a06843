#!/usr/bin/env bash
# Installs Open MPI's mpirun (Debian openmpi-bin) for examples/remd-vs-gromacs,
# which runs GROMACS's own replica exchange (gmx_mpi, shipped by Debian's
# gromacs package, see gromacs.sh) beside burst's (issue 18). No test needs
# it. Idempotent.
set -euo pipefail
if command -v mpirun >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y --no-install-recommends openmpi-bin
