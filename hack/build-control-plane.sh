#!/usr/bin/env bash
# Builds etcd, kube-apiserver, kube-scheduler, kube-controller-manager and kubectl of one pinned
# Kubernetes version from Go modules, into the layout fabric8 kube-api-test reads:
#   ${KUBE_API_TEST_DIR:-~/.kubeapitest}/k8s/<version>-linux-<arch>/
# Nothing is downloaded but Go modules. Skips the build when every binary is already there.
set -euo pipefail

KUBE_VERSION="${KUBE_VERSION:-1.34.4}"
. "$(dirname "$0")/kube-ldflags.sh"
GOARCH="$(go env GOARCH)"
BASE="${KUBE_API_TEST_DIR:-$HOME/.kubeapitest}"
DEST="$BASE/k8s/${KUBE_VERSION}-linux-${GOARCH}"
BINARIES=(etcd kube-apiserver kube-scheduler kube-controller-manager kubectl)

all_present() {
  for b in "${BINARIES[@]}"; do [ -x "$DEST/$b" ] || return 1; done
}
if all_present; then
  echo "control plane v${KUBE_VERSION} already built in $DEST"
  exit 0
fi

command -v go >/dev/null || { echo "go is required to build the control plane (install golang)" >&2; exit 1; }

WORK="${CONTROL_PLANE_BUILD_DIR:-$BASE/build-${KUBE_VERSION}}"
mkdir -p "$WORK/etcd" "$DEST"
cd "$WORK"

# k8s.io/kubernetes replaces its staging modules with local paths, which a consumer can't use; map
# each one to the published k8s.io/<name> v0.<minor>.<patch> instead.
STAGING_VERSION="v0.${KUBE_VERSION#1.}"
MODFILE="$(go mod download -json "k8s.io/kubernetes@v${KUBE_VERSION}" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')"
{
  echo "module lamina.dev/controlplane"
  echo
  echo "go 1.24.0"
  echo
  echo "require k8s.io/kubernetes v${KUBE_VERSION}"
  echo
  echo "replace ("
  sed -n 's#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/src/.*#\t\1 => \1 '"$STAGING_VERSION"'#p' "$MODFILE"
  echo ")"
} > go.mod

# etcd's own main package lives in a module that kubernetes doesn't depend on; its server library
# (at the version kubernetes pins) has the entry point.
cat > etcd/main.go <<'GO'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
cat > tools.go <<'GO'
//go:build tools

package controlplane

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO

start=$(date +%s)
# Take etcd at the version kubernetes itself pins, so no other dependency moves.
ETCD_VERSION="$(sed -n 's#^\s*go.etcd.io/etcd/server/v3 \(v[^ ]*\).*#\1#p' "$MODFILE")"
go get "k8s.io/kubernetes@v${KUBE_VERSION}" "go.etcd.io/etcd/server/v3@${ETCD_VERSION}"
go mod tidy

LDFLAGS="$(kube_ldflags "$KUBE_VERSION")"

export CGO_ENABLED=0
go build -trimpath -ldflags "$LDFLAGS" -o "$DEST/" \
  k8s.io/kubernetes/cmd/kube-apiserver \
  k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler \
  k8s.io/kubernetes/cmd/kubectl
go build -trimpath -ldflags "-s -w" -o "$DEST/etcd" ./etcd

all_present
echo "built control plane v${KUBE_VERSION} into $DEST in $(( $(date +%s) - start ))s"
"$DEST/kube-apiserver" --version
