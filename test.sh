#!/usr/bin/env bash
# Installs everything the tests need (Debian packages, npm and Go-built tools),
# then runs the whole test suite. Safe to run again: installs are skipped when done.
set -euo pipefail
cd "$(dirname "$0")"
export BURST_TOOLS="${BURST_TOOLS:-$HOME/.cache/burst-tools}"
mkdir -p "$BURST_TOOLS/bin" "$BURST_TOOLS/npm"
export PATH="$BURST_TOOLS/bin:$BURST_TOOLS/npm/node_modules/.bin:$PATH"

# The WW domain's inputs are not in the repository: they sit beside it in
# ../shared/data/ww, or in the folder $BURST_WW_DATA names (e.g. for a clone
# elsewhere). Tests run in their packages' folders, so the path is made
# absolute. CI must run the tests that need them: it stops here, before the
# installs and the suite, when they are missing.
ww="${BURST_WW_DATA:-../shared/data/ww}"
if [ -f "$ww/ww_exteq_nowater1.pdb" ] && [ -f "$ww/ww_exteq_nowater1.psf" ] && [ -f "$ww/par_all27_prot_lipid.inp" ]; then
  BURST_WW_DATA="$(cd "$ww" && pwd)"
  export BURST_WW_DATA
elif [ -n "${CI:-}" ]; then
  echo "test.sh: the WW domain inputs (ww_exteq_nowater1.pdb, .psf, par_all27_prot_lipid.inp) are not in $ww;" >&2
  echo "test.sh: set BURST_WW_DATA to their folder (CI=$CI: the tests that need them must not be skipped)" >&2
  exit 1
else
  echo "== note: no WW domain inputs in $ww (set BURST_WW_DATA): the tests that need them are skipped"
fi

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  if [ ! -f "$BURST_TOOLS/.apt-updated" ]; then
    apt-get update -qq && touch "$BURST_TOOLS/.apt-updated"
  fi
fi
for s in internal/testenv/install.d/*.sh; do
  [ -e "$s" ] || continue
  echo "== install: $s"
  bash "$s"
done

# pool/gcp/gcpdeploy's test builds the generated function source offline
# (GOPROXY=off: tests reach no network); its module graph reads a go.mod our
# own build never needs, so it is fetched here, with the other installs.
go mod download github.com/go-logr/logr@v1.2.2 github.com/google/gofuzz@v1.0.0 github.com/stretchr/testify@v1.3.0 \
  github.com/davecgh/go-spew@v1.1.0 github.com/stretchr/objx@v0.1.0

echo "== go vet"
go vet ./...
# A program must build wherever Go runs; what cannot work on an OS says so
# when it is opened, not at compile time.
for target in linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64; do
  echo "== go build ./... for $target"
  GOOS=${target%/*} GOARCH=${target#*/} go build ./...
done
echo "== go test"
go test -race -timeout 45m ./...
