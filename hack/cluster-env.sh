# Shared by hack/cluster-up.sh and hack/cluster-down.sh (sourced, not run).
# Every address, port and path of the local cluster is here, so that down removes what up made.

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KUBE_VERSION="${KUBE_VERSION:-$(sed -n 's:.*<kube.version>\(.*\)</kube.version>.*:\1:p' "$REPO/pom.xml" | head -1)}"
KUBE_BASE="${KUBE_API_TEST_DIR:-$HOME/.kubeapitest}"
BIN="$KUBE_BASE/k8s/${KUBE_VERSION}-linux-amd64"
BIN_ARM64="$KUBE_BASE/k8s/${KUBE_VERSION}-linux-arm64"
# Debian's containerd:arm64, unpacked by hack/install-deps.sh.
CONTAINERD_ARM64="${CONTAINERD_ARM64:-/opt/lamina/containerd-arm64/usr/bin/containerd}"

# Everything the cluster keeps: certificates, etcd, registry storage, each node's kubelet and
# containerd directories, pid files and logs.
STATE="${LAMINA_CLUSTER_DIR:-/var/lib/lamina-cluster}"
KUBECONFIG_PATH="$STATE/kubeconfig"

# One bridge for both nodes. Its address is the gateway of every pod, where the apiserver and the
# registry listen, and each node's pods get their own range of the subnet.
BRIDGE=lamina0
GATEWAY=10.244.0.1
POD_SUBNET=10.244.0.0/16
SERVICE_CIDR=10.96.0.0/16
APISERVER_PORT=6443
ETCD_PORT=12379
ETCD_PEER_PORT=12380
REGISTRY="$GATEWAY:5000"
REGISTRY_LOOPBACK=127.0.0.1:5000
IPT_CHAIN=LAMINA-FORWARD

# name  arch  kubelet port  healthz port  pod range start  pod range end
NODES=(
  "lamina-amd64 amd64 10250 10248 10.244.1.2 10.244.1.254"
  "lamina-arm64 arm64 10260 10258 10.244.2.2 10.244.2.254"
)

node_dir() { echo "$STATE/nodes/$1"; }
node_socket() { echo "$STATE/nodes/$1/containerd.sock"; }
# What the kubelet talks to: containerd, or on arm64 the seccomp-dropping proxy in front of it.
cri_socket() { # name, arch
  if [ "$2" = arm64 ]; then echo "$STATE/nodes/$1/cri-proxy.sock"; else node_socket "$1"; fi
}
# The kubelet's cgroupRoot, one per node, in every v1 hierarchy.
node_cgroup() { echo "/$1"; }
cgroup_hierarchies() {
  for d in /sys/fs/cgroup/*/; do
    [ -d "$d" ] && echo "${d%/}"
  done
}

# Alive and ours: every command line of the cluster names a path under $STATE, which a process
# that reused the pid would not.
pid_alive() {
  local f="$STATE/pids/$1.pid"
  [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null \
    && { tr '\0' ' ' <"/proc/$(cat "$f")/cmdline"; } 2>/dev/null | grep -qF "$STATE/"
}
