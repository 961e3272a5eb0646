#!/usr/bin/env bash
# Builds the stock supply-chain verifiers that the SBOM and signature tests run against Lamina's
# output, so that those claims are checked by tools other than Lamina:
#   /opt/lamina/cosign/bin/cosign       cosign, from its Go module (github.com/sigstore/cosign/v2)
#   /opt/lamina/spdx-tools/bin/pyspdxtools  spdx-tools from PyPI, in its own virtualenv
# Both at pinned versions; each is skipped when already there. Building cosign took 1288 s (21.5
# min, peak RSS 1.7 GB) on a 2-core machine shared with other builds; pip about 2 min.
set -euo pipefail

COSIGN_VERSION="${COSIGN_VERSION:-v2.6.5}"
SPDX_TOOLS_VERSION="${SPDX_TOOLS_VERSION:-0.8.5}"
PREFIX="${LAMINA_TOOLS:-/opt/lamina}"
export PATH="/usr/local/go/bin:$PATH"

COSIGN="$PREFIX/cosign/bin/cosign"
if [ -x "$COSIGN" ] && "$COSIGN" version 2>/dev/null | grep -q "${COSIGN_VERSION#v}"; then
  echo "cosign $COSIGN_VERSION already in $COSIGN"
else
  command -v go >/dev/null || { echo "go is required to build cosign" >&2; exit 1; }
  start=$(date +%s)
  # -mod=mod: go install of a module version ignores any vendor directory; GOBIN puts the binary
  # outside the user's GOPATH so that CI and tests find it at one path.
  GOBIN="$PREFIX/cosign/bin" CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false" \
    go install -trimpath "github.com/sigstore/cosign/v2/cmd/cosign@${COSIGN_VERSION}"
  echo "built cosign $COSIGN_VERSION in $(( $(date +%s) - start )) s"
fi

PYSPDX="$PREFIX/spdx-tools/bin/pyspdxtools"
if [ -x "$PYSPDX" ] && "$PREFIX/spdx-tools/bin/pip" show spdx-tools 2>/dev/null \
    | grep -qx "Version: $SPDX_TOOLS_VERSION"; then
  echo "spdx-tools $SPDX_TOOLS_VERSION already in $PREFIX/spdx-tools"
else
  # Debian's own python3 needs python3-venv for this; other Pythons (pyenv's) carry ensurepip.
  if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
    apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends python3-venv
  fi
  python3 -m venv "$PREFIX/spdx-tools"
  "$PREFIX/spdx-tools/bin/pip" install --quiet "spdx-tools==$SPDX_TOOLS_VERSION"
  echo "installed spdx-tools $SPDX_TOOLS_VERSION in $PREFIX/spdx-tools"
fi
