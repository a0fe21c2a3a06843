#!/usr/bin/env bash
# Installs everything the tests need (Debian packages, npm and Go-built tools),
# then runs the whole test suite. Safe to run again: installs are skipped when done.
set -euo pipefail
cd "$(dirname "$0")"
export BURST_TOOLS="${BURST_TOOLS:-$HOME/.cache/burst-tools}"
mkdir -p "$BURST_TOOLS/bin" "$BURST_TOOLS/npm"
export PATH="$BURST_TOOLS/bin:$BURST_TOOLS/npm/node_modules/.bin:$PATH"

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
