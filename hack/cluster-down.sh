#!/usr/bin/env bash
# Stops everything hack/cluster-up.sh started: the pods' processes, the shims, both containerds and
# kubelets, kube-proxy and its iptables rules, the control plane and the registry; unmounts what
# they mounted under the state directory (volumes, rootfs, network namespaces), removes the
# nodes' cgroups, the bridge and the forwarding rules. The state directory stays, so the next
# cluster-up is a warm start (certificates, etcd, registry, image caches); --purge deletes it too.
# Running it again, or when nothing runs, is harmless.
set -uo pipefail

# shellcheck source=cluster-env.sh
source "$(dirname "$0")/cluster-env.sh"

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then
    exec sudo --preserve-env=LAMINA_CLUSTER_DIR,KUBE_API_TEST_DIR "$0" "$@"
  fi
  echo "hack/cluster-down.sh: run it as root" >&2
  exit 1
fi
PURGE=false
[ "${1:-}" = --purge ] && PURGE=true

stop() { # name: TERM, then KILL after 10 s
  local f="$STATE/pids/$1.pid"
  [ -f "$f" ] || return 0
  local pid
  pid="$(cat "$f")"
  if pid_alive "$1"; then
    kill "$pid" 2>/dev/null
    for _ in $(seq 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null && echo "killed $1 (pid $pid)" || echo "stopped $1 (pid $pid)"
  fi
  rm -f "$f"
}

# The kubelets first, so nothing restarts the containers about to be killed.
stop kube-proxy
for spec in "${NODES[@]}"; do
  read -r name _ <<<"$spec"
  stop "kubelet-$name"
  stop "cri-seccomp-proxy-$name"
done

# The pods' processes, by the node's cgroup tree; then the shims, by their containerd's socket.
for spec in "${NODES[@]}"; do
  read -r name _ <<<"$spec"
  for round in 1 2 3; do
    pids="$(find "/sys/fs/cgroup/pids/$name" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u)"
    [ -n "$pids" ] || break
    # shellcheck disable=SC2086
    kill -9 $pids 2>/dev/null
    sleep 0.5
  done
  socket="$(node_socket "$name")"
  for p in /proc/[0-9]*; do
    if { tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null | grep -q -- "-address $socket "; then
      kill -9 "${p#/proc/}" 2>/dev/null && echo "killed shim ${p#/proc/}"
    fi
  done
  stop "containerd-$name"
done

for c in kube-scheduler kube-controller-manager kube-apiserver etcd registry registry-loopback; do
  stop "$c"
done

# kube-proxy's and the kubelet's iptables chains.
if [ -x "$BIN/kube-proxy" ]; then
  "$BIN/kube-proxy" --cleanup --proxy-mode iptables >/dev/null 2>&1 || true
fi
for table in filter nat mangle; do
  for chain in KUBE-KUBELET-CANARY KUBE-PROXY-CANARY KUBE-IPTABLES-HINT; do
    iptables -w -t "$table" -F "$chain" 2>/dev/null && iptables -w -t "$table" -X "$chain" 2>/dev/null
  done
done
# The kubelet's guard against pods reaching the host's 127.0.0.1.
while iptables -w -D INPUT -j KUBE-FIREWALL 2>/dev/null; do :; done
while iptables -w -D OUTPUT -j KUBE-FIREWALL 2>/dev/null; do :; done
iptables -w -F KUBE-FIREWALL 2>/dev/null && iptables -w -X KUBE-FIREWALL 2>/dev/null
while iptables -w -t mangle -D FORWARD -j "$IPT_CHAIN" 2>/dev/null; do :; done
iptables -w -t mangle -F "$IPT_CHAIN" 2>/dev/null && iptables -w -t mangle -X "$IPT_CHAIN" 2>/dev/null
if [ -f "$STATE/ip_forward.orig" ]; then
  sysctl -qw "net.ipv4.ip_forward=$(cat "$STATE/ip_forward.orig")"
  rm -f "$STATE/ip_forward.orig"
fi

# Mounts under the state directory (pod volumes, container rootfs, sandbox /dev/shm, network
# namespaces), deepest first.
if [ -d "$STATE" ]; then
  for _ in 1 2 3; do
    mounts="$(awk -v s="$STATE/" 'index($2, s) == 1 { print $2 }' /proc/self/mounts | sort -r)"
    [ -n "$mounts" ] || break
    for m in $mounts; do
      umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
    done
  done
  left="$(awk -v s="$STATE/" 'index($2, s) == 1' /proc/self/mounts)"
  [ -z "$left" ] || echo "still mounted: $left" >&2
fi

for spec in "${NODES[@]}"; do
  read -r name _ <<<"$spec"
  for h in $(cgroup_hierarchies); do
    [ -d "$h/$name" ] && find "$h/$name" -depth -type d -exec rmdir {} \; 2>/dev/null
  done
done

if ip link show "$BRIDGE" >/dev/null 2>&1; then
  for veth in $(ip -o link show master "$BRIDGE" | awk -F': ' '{ print $2 }' | cut -d@ -f1); do
    ip link del "$veth" 2>/dev/null
  done
  ip link del "$BRIDGE"
fi

# The kubelets link container logs into /var/log/containers; drop the links into our state.
for l in /var/log/containers/*; do
  [ -L "$l" ] && case "$(readlink "$l")" in "$STATE"/*) rm -f "$l" ;; esac
done

if $PURGE; then
  rm -rf "$STATE"
  echo "removed $STATE"
fi
echo "cluster down"
