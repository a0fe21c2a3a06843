#!/usr/bin/env bash
# Installs GROMACS (Debian package, 2022.5 on bookworm) for the CHARMM engine's
# cross-check and the gromacs engine adapter. Idempotent.
#
# Some virtual machines (Firecracker, for one) execute the rdtscp instruction
# but hide its CPUID flag; Debian's mdrun then refuses to start ("compiled to
# use the rdtscp CPU instruction"). On such machines, and only when rdtscp
# really executes, this script builds a tiny preload library that skips
# GROMACS's hardware report (the only place that check lives) and puts a gmx
# wrapper using it in $BURST_TOOLS/bin, which test.sh puts first on PATH.
set -euo pipefail
BURST_TOOLS="${BURST_TOOLS:-$HOME/.cache/burst-tools}"
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
if ! command -v /usr/bin/gmx >/dev/null 2>&1; then
  $SUDO apt-get install -y --no-install-recommends gromacs
fi

if grep -qw rdtscp /proc/cpuinfo; then
  rm -f "$BURST_TOOLS/bin/gmx"
  exit 0
fi
wrapper="$BURST_TOOLS/bin/gmx"
shim="$BURST_TOOLS/lib/gmx-skip-hwreport.so"
if [ -x "$wrapper" ] && [ -f "$shim" ]; then
  exit 0
fi
if ! command -v gcc >/dev/null 2>&1; then
  $SUDO apt-get install -y --no-install-recommends gcc libc6-dev
fi
mkdir -p "$BURST_TOOLS/bin" "$BURST_TOOLS/lib"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/probe.c" <<'C'
int main(void) { unsigned lo, hi, aux; __asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux)); return 0; }
C
gcc -O1 -o "$tmp/probe" "$tmp/probe.c"
if ! "$tmp/probe"; then
  echo "gromacs.sh: this CPU cannot execute rdtscp; Debian's mdrun cannot run here" >&2
  exit 0
fi
cat >"$tmp/shim.c" <<'C'
/* gmx_print_detected_hardware(FILE*, bool, const gmx::MDLogger&, const gmx_hw_info_t*):
 * prints the hardware report and aborts when the rdtscp CPUID flag is hidden. */
void _Z27gmx_print_detected_hardwareP8_IO_FILEbRKN3gmx8MDLoggerEPK13gmx_hw_info_t(void *a, int b, const void *c, const void *d) {
  (void)a; (void)b; (void)c; (void)d;
}
C
gcc -shared -fPIC -O2 -o "$tmp/shim.so" "$tmp/shim.c"
mv "$tmp/shim.so" "$shim"
cat >"$tmp/gmx" <<SH
#!/bin/sh
# GROMACS with its hardware report skipped (see internal/testenv/install.d/gromacs.sh).
LD_PRELOAD="$shim\${LD_PRELOAD:+:\$LD_PRELOAD}" exec /usr/bin/gmx "\$@"
SH
chmod +x "$tmp/gmx"
mv "$tmp/gmx" "$wrapper"
echo "gromacs.sh: installed $wrapper (rdtscp CPUID flag hidden on this machine)"
