#!/usr/bin/env bash
# Builds the node binaries of hack/cluster-up.sh from the Go module hack/build-control-plane.sh
# generated (same Kubernetes version, same dependency versions):
#   <base>/k8s/<version>-linux-amd64/{kubelet,kube-proxy,cri-seccomp-proxy}
#   <base>/k8s/<version>-linux-arm64/kubelet    (cross-compiled; runs under qemu-user)
# <base> is ${KUBE_API_TEST_DIR:-~/.kubeapitest}. Skips every binary already there.
set -euo pipefail

KUBE_VERSION="${KUBE_VERSION:-1.34.4}"
. "$(dirname "$0")/kube-ldflags.sh"
BASE="${KUBE_API_TEST_DIR:-$HOME/.kubeapitest}"
AMD64="$BASE/k8s/${KUBE_VERSION}-linux-amd64"
ARM64="$BASE/k8s/${KUBE_VERSION}-linux-arm64"
WORK="${CONTROL_PLANE_BUILD_DIR:-$BASE/build-${KUBE_VERSION}}"

all_present() {
  [ -x "$AMD64/kubelet" ] && [ -x "$AMD64/kube-proxy" ] && [ -x "$ARM64/kubelet" ] \
    && [ -x "$AMD64/cri-seccomp-proxy" ]
}
if all_present; then
  echo "node binaries v${KUBE_VERSION} already built in $AMD64 and $ARM64"
  exit 0
fi

command -v go >/dev/null || { echo "go is required to build the kubelet (install golang)" >&2; exit 1; }
if [ ! -f "$WORK/go.mod" ]; then
  # The module is written by the control plane build; it skips itself when already done.
  "$(dirname "$0")/build-control-plane.sh"
fi
if [ ! -f "$WORK/go.mod" ]; then
  echo "no generated Go module in $WORK: remove $BASE/k8s/${KUBE_VERSION}-linux-amd64 and run hack/build-control-plane.sh" >&2
  exit 1
fi
HACK="$(cd "$(dirname "$0")" && pwd)"
cd "$WORK"
mkdir -p "$AMD64" "$ARM64" cri-seccomp-proxy
cp "$HACK/cri-seccomp-proxy/main.go" cri-seccomp-proxy/

# A file of its own, so that the control plane's tools.go (rewritten by its build) keeps these.
cat > node_tools.go <<'GO'
//go:build tools

package controlplane

import (
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
GO

start=$(date +%s)
go mod tidy

LDFLAGS="$(kube_ldflags "$KUBE_VERSION")"

export CGO_ENABLED=0
for cmd in kubelet kube-proxy; do
  if [ ! -x "$AMD64/$cmd" ]; then
    GOARCH=amd64 go build -trimpath -ldflags "$LDFLAGS" -o "$AMD64/$cmd" "k8s.io/kubernetes/cmd/$cmd"
  fi
done
# The arm64 node's kubelet is an arm64 binary, so the node reports kubernetes.io/arch=arm64 from
# its own runtime.GOARCH rather than from a label someone set.
if [ ! -x "$ARM64/kubelet" ]; then
  GOARCH=arm64 go build -trimpath -ldflags "$LDFLAGS" -o "$ARM64/kubelet" k8s.io/kubernetes/cmd/kubelet
fi
# Between the arm64 kubelet and the arm64 containerd (see its main.go); native, like the shim.
if [ ! -x "$AMD64/cri-seccomp-proxy" ]; then
  go build -trimpath -ldflags "-s -w" -o "$AMD64/cri-seccomp-proxy" ./cri-seccomp-proxy
fi

all_present
echo "built kubelet and kube-proxy (amd64) and kubelet (arm64) v${KUBE_VERSION} in $(( $(date +%s) - start ))s"
"$AMD64/kubelet" --version
