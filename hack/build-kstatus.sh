#!/usr/bin/env bash
# Builds hack/kstatus (sigs.k8s.io/cli-utils' kstatus, the status reader of Flux and kpt, as a
# small command) with the machine's Go, modules from the Go proxy as pinned in hack/kstatus/go.sum.
# GitOpsHealthIT runs it over real objects. hack/install-deps.sh runs this; running it again
# rebuilds from Go's cache in seconds.
#
#   hack/build-kstatus.sh [OUTPUT]     default /opt/lamina/bin/lamina-kstatus
set -euo pipefail
cd "$(dirname "$0")/kstatus"
OUT="${1:-/opt/lamina/bin/lamina-kstatus}"
export PATH="/usr/local/go/bin:$PATH"
mkdir -p "$(dirname "$OUT")"
GOFLAGS=-mod=readonly go build -trimpath -o "$OUT" .
echo "built $OUT"
