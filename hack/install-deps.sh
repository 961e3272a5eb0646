#!/usr/bin/env bash
# Installs everything Lamina's tests need on a fresh Debian 12 machine, then builds the pinned
# Kubernetes control plane. Needs root: as another user it runs itself again through sudo.
# Running it again changes nothing.
#
#   hack/install-deps.sh               everything: tests, the local control plane and cluster
#   hack/install-deps.sh --quickstart  only what hack/quickstart.sh uses (JDK, Maven, QEMU and the
#                                      arm64 package lists): no Go, no control plane; a minute or two
set -euo pipefail

QUICKSTART=false
case "${1:-}" in
  --quickstart) QUICKSTART=true ;;
  "") ;;
  *) echo "usage: hack/install-deps.sh [--quickstart]" >&2; exit 2 ;;
esac

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then
    exec sudo "$0" "$@"
  fi
  echo "hack/install-deps.sh installs packages: run it as root" >&2
  exit 1
fi
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
# Wait for another apt or dpkg run to finish instead of failing on its lock.
APT_OPTS=(-o DPkg::Lock::Timeout=600)

# The boot tests fetch arm64 kernels and busybox with apt-get download; that needs the arm64
# package lists, so the architecture goes in before the update.
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  dpkg --add-architecture arm64
fi
apt-get "${APT_OPTS[@]}" update

if [ "$QUICKSTART" = true ]; then
  # The no-cluster quickstart builds the jar, fetches debs with apt-get download and boots QEMU.
  QUICKSTART_PACKAGES=(openjdk-17-jdk-headless maven ca-certificates qemu-system-x86 qemu-system-arm)
  NEEDED=()
  for p in "${QUICKSTART_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || NEEDED+=("$p")
  done
  if [ "${#NEEDED[@]}" -gt 0 ]; then
    apt-get "${APT_OPTS[@]}" install -y --no-install-recommends "${NEEDED[@]}"
  fi
  exit 0
fi

PACKAGES=(
  # build
  openjdk-17-jdk-headless maven git ca-certificates
  # a real OCI registry, OCI image tools, archives
  docker-registry umoci skopeo pigz cpio busybox-static
  # booting what was assembled; UEFI firmware and the checks of the disk formats (qemu-img,
  # xorriso)
  qemu-system-x86 qemu-system-arm ovmf qemu-efi-aarch64 qemu-utils xorriso
  # reproducibility: a build run on another day (libfaketime)
  faketime
  # measurements: htpasswd for registry auth, /usr/bin/time for peak memory
  apache2-utils time
  # the real nodes of hack/cluster-up.sh and OperatorImageIT: container runtime, pod network,
  # certificates, and qemu-user binfmt for arm64 (the arm64 node's kubelet, its containerd and the
  # containers' processes)
  containerd runc containernetworking-plugins iptables iproute2 openssl
  qemu-user-static binfmt-support libc6:arm64
  # GitOpsHealthIT runs deploy/argocd/health.lua in a real Lua interpreter, as Argo CD would
  lua5.4
)
# Only what is missing: installed packages are left at their version, so running this on a
# machine in use does not swap the JDK under running builds.
MISSING=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || MISSING+=("$p")
done
if [ "${#MISSING[@]}" -gt 0 ]; then
  START=$SECONDS
  apt-get "${APT_OPTS[@]}" install -y --no-install-recommends "${MISSING[@]}"
  echo "install-deps: ${#MISSING[@]} Debian packages took $((SECONDS - START)) s"
fi

# arm64 containers run through qemu-user binfmt (OperatorImageIT). The registration does not
# survive a reboot and PID 1 is not systemd here, so register it whenever it is missing.
if [ ! -e /proc/sys/fs/binfmt_misc/status ]; then
  mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
fi
if ! grep -qx enabled /proc/sys/fs/binfmt_misc/qemu-aarch64 2>/dev/null; then
  update-binfmts --enable qemu-aarch64
fi

# hack/build-control-plane.sh needs Go >= 1.21, which fetches the toolchain Kubernetes asks for
# (GOTOOLCHAIN=auto), and cosign v2.6.5 (hack/build-supply-tools.sh) needs Go >= 1.25. Machines
# here come with 1.26.8 in /usr/local/go; Debian 12 ships 1.19, so when nothing new enough is
# installed, use Debian's once to fetch a Go distribution from the Go module proxy (it is
# published there as a module) into /usr/local/go. It must itself be new enough for cosign: with
# 1.24.11, `go install` stopped at "requires go >= 1.25.0 (running go 1.24.11; GOTOOLCHAIN=local)".
GO_BOOTSTRAP_VERSION=1.26.8
export PATH="/usr/local/go/bin:$PATH"
GO_MINOR="$(go env GOVERSION 2>/dev/null | sed -n 's/^go1\.\([0-9]*\).*/\1/p' || true)"
if [ -z "$GO_MINOR" ] || [ "$GO_MINOR" -lt 25 ]; then
  apt-get "${APT_OPTS[@]}" install -y --no-install-recommends golang-go
  GOARCH="$(dpkg --print-architecture)"
  MODULE="golang.org/toolchain@v0.0.1-go${GO_BOOTSTRAP_VERSION}.linux-${GOARCH}"
  TMP="$(mktemp -d)"
  trap 'rm -rf "$TMP"' EXIT
  DIR="$(cd "$TMP" && GOFLAGS=-modcacherw GOMODCACHE="$TMP/mod" /usr/bin/go mod download -json "$MODULE" \
    | sed -n 's/.*"Dir": "\(.*\)",/\1/p')"
  rm -rf /usr/local/go
  cp -r "$DIR" /usr/local/go
  # Module zips carry no file modes.
  chmod -R u+w,go-w /usr/local/go
  chmod +x /usr/local/go/bin/* /usr/local/go/pkg/tool/*/*
  echo "installed $(/usr/local/go/bin/go version) in /usr/local/go"
fi

# Each build says how long it took, so a slow cold run shows where its time went.
timed() {
  local start=$SECONDS
  "$@"
  echo "install-deps: $* took $((SECONDS - start)) s"
}
timed hack/build-control-plane.sh
timed hack/build-node.sh
# kstatus (sigs.k8s.io/cli-utils), Flux's status reader, for GitOpsHealthIT.
timed hack/build-kstatus.sh
# The stock supply-chain verifiers the SBOM and signature tests run (cosign from its Go module,
# pyspdxtools from PyPI), at pinned versions under /opt/lamina.
timed hack/build-supply-tools.sh

# The arm64 node's containerd: Debian's containerd:arm64 can't be installed beside the amd64 one
# (same paths), so its binaries are unpacked on their own; hack/cluster-up.sh runs them under
# qemu-user. Its libc comes from libc6:arm64 above.
ARM64_CONTAINERD=/opt/lamina/containerd-arm64
if [ ! -x "$ARM64_CONTAINERD/usr/bin/containerd" ]; then
  TMP_DEB="$(mktemp -d)"
  (cd "$TMP_DEB" && apt-get download containerd:arm64)
  rm -rf "$ARM64_CONTAINERD"
  mkdir -p "$ARM64_CONTAINERD"
  dpkg-deb -x "$TMP_DEB"/containerd_*_arm64.deb "$ARM64_CONTAINERD"
  rm -rf "$TMP_DEB"
fi
# The arm64 busybox of the cluster's test images (hack/cluster-images.sh).
ARM64_BUSYBOX=/opt/lamina/busybox-arm64
if [ ! -x "$ARM64_BUSYBOX/bin/busybox" ]; then
  TMP_DEB="$(mktemp -d)"
  (cd "$TMP_DEB" && apt-get download busybox-static:arm64)
  rm -rf "$ARM64_BUSYBOX"
  mkdir -p "$ARM64_BUSYBOX"
  dpkg-deb -x "$TMP_DEB"/busybox-static_*_arm64.deb "$ARM64_BUSYBOX"
  rm -rf "$TMP_DEB"
fi
