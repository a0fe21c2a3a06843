#!/usr/bin/env bash
# Builds the AWS Lambda Runtime Interface Emulator (aws-lambda-rie) from the
# pseudo-version pinned in internal/tools/rie/go.mod into $BURST_TOOLS/bin, for
# the pool/aws and providers tests. Idempotent: a stamp of the pin skips work.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
mod="$here/../../tools/rie"
BURST_TOOLS="${BURST_TOOLS:-$HOME/.cache/burst-tools}"
mkdir -p "$BURST_TOOLS/bin"
stamp="$BURST_TOOLS/bin/.lambda-rie.stamp"
want="$(cat "$mod/go.mod" "$mod/go.sum" | sha256sum | cut -d' ' -f1)"
if [ -x "$BURST_TOOLS/bin/aws-lambda-rie" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  echo "lambda: aws-lambda-rie already built"
  exit 0
fi
echo "lambda: building aws-lambda-rie into $BURST_TOOLS/bin"
(cd "$mod" && CGO_ENABLED=0 go build -o "$BURST_TOOLS/bin/aws-lambda-rie" \
  github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie)
echo "$want" >"$stamp"
