#!/usr/bin/env bash
# Installs the object-store servers the cloudfs tests run on loopback:
#   gofakes3 (S3, MIT) and fake-gcs-server (GCS), built from the pinned
#   versions in internal/tools/go.mod into $BURST_TOOLS/bin;
#   Azurite (Azure Blob) from npm into $BURST_TOOLS/npm.
# Idempotent: a stamp of the pinned versions skips work already done.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tools_mod="$here/../../tools"
BURST_TOOLS="${BURST_TOOLS:-$HOME/.cache/burst-tools}"
mkdir -p "$BURST_TOOLS/bin" "$BURST_TOOLS/npm"

# Go-built emulators: rebuild only when internal/tools' pins change.
stamp="$BURST_TOOLS/bin/.cloudfs-go-tools.stamp"
want="$(cat "$tools_mod/go.mod" "$tools_mod/go.sum" | sha256sum | cut -d' ' -f1)"
if [ -x "$BURST_TOOLS/bin/gofakes3" ] && [ -x "$BURST_TOOLS/bin/fake-gcs-server" ] &&
  [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  echo "cloudfs: gofakes3 and fake-gcs-server already built"
else
  echo "cloudfs: building gofakes3 and fake-gcs-server into $BURST_TOOLS/bin"
  (cd "$tools_mod" && CGO_ENABLED=0 go build -o "$BURST_TOOLS/bin/" \
    github.com/johannesboyne/gofakes3/cmd/gofakes3 \
    github.com/fsouza/fake-gcs-server)
  echo "$want" >"$stamp"
fi

# Azurite from npm, pinned.
azurite_version=3.35.0
have="$(node -p "require('$BURST_TOOLS/npm/node_modules/azurite/package.json').version" 2>/dev/null || true)"
if [ "$have" = "$azurite_version" ]; then
  echo "cloudfs: azurite $azurite_version already installed"
else
  if ! command -v npm >/dev/null; then
    echo "cloudfs: installing nodejs and npm (Debian)"
    apt-get install -y --no-install-recommends nodejs npm
  fi
  echo "cloudfs: installing azurite@$azurite_version into $BURST_TOOLS/npm"
  npm install --prefix "$BURST_TOOLS/npm" --save-exact --no-audit --no-fund --loglevel=error \
    "azurite@$azurite_version"
fi
