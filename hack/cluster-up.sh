#!/usr/bin/env bash
# Starts a real single-machine Kubernetes cluster, everything as local processes, nothing routed
# off the machine:
#   - etcd, kube-apiserver, kube-scheduler, kube-controller-manager (kube.version of pom.xml);
#   - node lamina-amd64: kubelet + its own containerd + runc, pods on the bridge lamina0;
#   - node lamina-arm64: an arm64 kubelet and Debian's arm64 containerd, both under qemu-user, so
#     the node is arm64 and pulls arm64 images; the native runc and shim start its containers, whose
#     arm64 processes run through binfmt. qemu-user can't give the emulated containerd seccomp, so
#     a CRI proxy (hack/cri-seccomp-proxy) drops the profiles on the way: containers on this node
#     run without a seccomp filter;
#   - kube-proxy (iptables) for both, so pods reach the apiserver through the kubernetes Service;
#   - docker-registry on the bridge gateway (and loopback), pulled from over plain HTTP;
#   - the Pod Security Standard "restricted" enforced in every namespace but kube-system.
# Everything lives under $LAMINA_CLUSTER_DIR (default /var/lib/lamina-cluster). Running it again
# starts only what is not running. hack/cluster-down.sh stops all of it.
# Needs root and what hack/install-deps.sh installs and builds.
set -euo pipefail

# shellcheck source=cluster-env.sh
source "$(dirname "$0")/cluster-env.sh"

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then
    exec sudo --preserve-env=LAMINA_CLUSTER_DIR,KUBE_API_TEST_DIR "$0" "$@"
  fi
  echo "hack/cluster-up.sh starts a kubelet and containerd: run it as root" >&2
  exit 1
fi

T0=$(date +%s%N)
elapsed() { local ms=$(( ($(date +%s%N) - T0) / 1000000 )); printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100)); }
say() { echo "[cluster-up $(elapsed)s] $*"; }
die() { echo "cluster-up: $*" >&2; exit 1; }

for b in etcd kube-apiserver kube-scheduler kube-controller-manager kubectl kubelet kube-proxy cri-seccomp-proxy; do
  [ -x "$BIN/$b" ] || die "$BIN/$b is missing: run hack/install-deps.sh (it builds the control plane and the node binaries)"
done
[ -x "$BIN_ARM64/kubelet" ] || die "$BIN_ARM64/kubelet is missing: run hack/build-node.sh"
[ -x "$CONTAINERD_ARM64" ] || die "$CONTAINERD_ARM64 is missing: run hack/install-deps.sh"
for c in containerd containerd-shim-runc-v2 runc iptables ip openssl skopeo docker-registry update-binfmts; do
  command -v "$c" >/dev/null || die "$c is missing: run hack/install-deps.sh"
done
[ -x /usr/lib/cni/bridge ] || die "/usr/lib/cni/bridge is missing: apt-get install containernetworking-plugins"
[ -x /lib/ld-linux-aarch64.so.1 ] || die "libc6:arm64 is missing: run hack/install-deps.sh"

PKI="$STATE/pki"
mkdir -p "$STATE"/{pki,pids,logs,etcd,registry,images,config} "$STATE/nodes"
KUBECTL=("$BIN/kubectl" --kubeconfig "$KUBECONFIG_PATH")

# --- arm64 through qemu-user ---------------------------------------------------------------------
if [ ! -e /proc/sys/fs/binfmt_misc/status ]; then
  mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
fi
if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
  update-binfmts --enable qemu-aarch64
fi
grep -q '^enabled' /proc/sys/fs/binfmt_misc/qemu-aarch64 || die "binfmt qemu-aarch64 is not enabled"

# --- certificates ----------------------------------------------------------------------------------
issue() { # name, subject, extended key usage, subjectAltName or empty
  local name=$1 subject=$2 eku=$3 san=${4:-}
  [ -s "$PKI/$name.crt" ] && return
  # RSA: fabric8's kubeconfig reader takes a PKCS#8 client key for RSA unless told otherwise.
  openssl req -new -newkey rsa:2048 -nodes \
    -keyout "$PKI/$name.key" -subj "$subject" -out "$PKI/$name.csr" 2>/dev/null
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$eku"
    [ -n "$san" ] && echo "subjectAltName=$san"
  } > "$PKI/$name.ext"
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 3650 -sha256 -extfile "$PKI/$name.ext" -out "$PKI/$name.crt" 2>/dev/null
  rm -f "$PKI/$name.csr" "$PKI/$name.ext"
}
if [ ! -s "$PKI/ca.crt" ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
    -keyout "$PKI/ca.key" -subj "/CN=lamina-cluster-ca" -out "$PKI/ca.crt" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
fi
if [ ! -s "$PKI/sa.key" ]; then
  openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/sa.key"
  openssl ec -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
fi
issue apiserver "/CN=kube-apiserver" serverAuth \
  "IP:$GATEWAY,IP:${SERVICE_CIDR%.0/*}.1,IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
issue apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" clientAuth
issue admin "/O=system:masters/CN=lamina-admin" clientAuth
issue kube-controller-manager "/CN=system:kube-controller-manager" clientAuth
issue kube-scheduler "/CN=system:kube-scheduler" clientAuth
issue kube-proxy "/CN=system:kube-proxy" clientAuth
for spec in "${NODES[@]}"; do
  read -r name _ <<<"$spec"
  issue "kubelet-$name" "/O=system:nodes/CN=system:node:$name" clientAuth
done

kubeconfig() { # file, certificate name
  cat > "$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: lamina
  cluster:
    server: https://$GATEWAY:$APISERVER_PORT
    certificate-authority-data: $(base64 -w0 "$PKI/ca.crt")
users:
- name: $2
  user:
    client-certificate-data: $(base64 -w0 "$PKI/$2.crt")
    client-key-data: $(base64 -w0 "$PKI/$2.key")
contexts:
- name: lamina
  context:
    cluster: lamina
    user: $2
current-context: lamina
EOF
  chmod 600 "$1"
}
kubeconfig "$KUBECONFIG_PATH" admin
for c in kube-controller-manager kube-scheduler kube-proxy; do
  kubeconfig "$STATE/config/$c.kubeconfig" "$c"
done

# --- network ---------------------------------------------------------------------------------------
if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
  ip link add "$BRIDGE" type bridge
fi
ip addr show dev "$BRIDGE" | grep -q "inet $GATEWAY/" || ip addr add "$GATEWAY/${POD_SUBNET#*/}" dev "$BRIDGE"
ip link set "$BRIDGE" up
# Pods reach each other through Service addresses, which is routing. The CNI bridge plugin turns
# on net.ipv4.ip_forward for that anyway; cluster-down puts back the value found here.
[ -f "$STATE/ip_forward.orig" ] || cat /proc/sys/net/ipv4/ip_forward > "$STATE/ip_forward.orig"
sysctl -qw "net.ipv4.conf.$BRIDGE.forwarding=1"
# Bridged pod-to-pod traffic passes iptables, so Service replies are un-NATed.
modprobe br_netfilter 2>/dev/null || true
if [ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]; then
  sysctl -qw net.bridge.bridge-nf-call-iptables=1
fi
# Nothing from or to the pods is routed through any interface but the bridge, and there is no
# masquerade of ours. The chain hangs off mangle's FORWARD, which comes before filter's FORWARD
# where kube-proxy puts its own ACCEPT rules first.
if ! iptables -w -t mangle -L "$IPT_CHAIN" -n >/dev/null 2>&1; then
  iptables -w -t mangle -N "$IPT_CHAIN"
  iptables -w -t mangle -A "$IPT_CHAIN" -i "$BRIDGE" -o "$BRIDGE" -j RETURN
  iptables -w -t mangle -A "$IPT_CHAIN" -i "$BRIDGE" -j DROP
  iptables -w -t mangle -A "$IPT_CHAIN" -s "$POD_SUBNET" ! -o "$BRIDGE" -j DROP
  iptables -w -t mangle -A "$IPT_CHAIN" -d "$POD_SUBNET" ! -o "$BRIDGE" -j DROP
fi
iptables -w -t mangle -C FORWARD -j "$IPT_CHAIN" 2>/dev/null || iptables -w -t mangle -I FORWARD 1 -j "$IPT_CHAIN"

# --- processes -------------------------------------------------------------------------------------
start() { # name, command...
  local name=$1
  shift
  if pid_alive "$name"; then
    say "$name already running (pid $(cat "$STATE/pids/$name.pid"))"
    STARTED_NOW=false
    return
  fi
  STARTED_NOW=true
  setsid "$@" >>"$STATE/logs/$name.log" 2>&1 </dev/null &
  echo $! > "$STATE/pids/$name.pid"
  say "started $name (pid $!, log $STATE/logs/$name.log)"
}
wait_for() { # what, seconds, command...
  local what=$1 seconds=$2
  shift 2
  local deadline=$(( $(date +%s) + seconds ))
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      die "$what did not happen within ${seconds}s; logs in $STATE/logs"
    fi
    sleep 0.5
  done
}

start etcd "$BIN/etcd" --name lamina --data-dir "$STATE/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "lamina=http://127.0.0.1:$ETCD_PEER_PORT" --log-level warn

# Pods run the restricted Pod Security Standard unless their namespace says otherwise; only
# kube-system is exempt.
cat > "$STATE/config/admission.yaml" <<EOF
apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: PodSecurity
  configuration:
    apiVersion: pod-security.admission.config.k8s.io/v1
    kind: PodSecurityConfiguration
    defaults:
      enforce: restricted
      enforce-version: latest
      warn: restricted
      warn-version: latest
    exemptions:
      namespaces: [kube-system]
EOF
start kube-apiserver "$BIN/kube-apiserver" \
  --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
  --bind-address "$GATEWAY" --advertise-address "$GATEWAY" --secure-port "$APISERVER_PORT" \
  --service-cluster-ip-range "$SERVICE_CIDR" \
  --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
  --client-ca-file "$PKI/ca.crt" \
  --kubelet-client-certificate "$PKI/apiserver-kubelet-client.crt" \
  --kubelet-client-key "$PKI/apiserver-kubelet-client.key" \
  --kubelet-preferred-address-types InternalIP \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
  --authorization-mode Node,RBAC \
  --enable-admission-plugins NodeRestriction,OwnerReferencesPermissionEnforcement \
  --admission-control-config-file "$STATE/config/admission.yaml" \
  --allow-privileged=false --profiling=false
wait_for "kube-apiserver /readyz" 120 "${KUBECTL[@]}" get --raw /readyz

start kube-controller-manager "$BIN/kube-controller-manager" \
  --kubeconfig "$STATE/config/kube-controller-manager.kubeconfig" \
  --authentication-kubeconfig "$STATE/config/kube-controller-manager.kubeconfig" \
  --authorization-kubeconfig "$STATE/config/kube-controller-manager.kubeconfig" \
  --leader-elect=false --secure-port=0 --use-service-account-credentials \
  --service-account-private-key-file "$PKI/sa.key" --root-ca-file "$PKI/ca.crt" \
  --cluster-signing-cert-file "$PKI/ca.crt" --cluster-signing-key-file "$PKI/ca.key" \
  --service-cluster-ip-range "$SERVICE_CIDR" --allocate-node-cidrs=false --controllers '*'
start kube-scheduler "$BIN/kube-scheduler" \
  --kubeconfig "$STATE/config/kube-scheduler.kubeconfig" \
  --authentication-kubeconfig "$STATE/config/kube-scheduler.kubeconfig" \
  --authorization-kubeconfig "$STATE/config/kube-scheduler.kubeconfig" \
  --leader-elect=false --secure-port=0

# --- registry and the images the nodes need ---------------------------------------------------------
registry_config() { # address
  cat <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $STATE/registry
  delete:
    enabled: true
http:
  addr: $1
  secret: lamina-cluster-registry
EOF
}
# Two listeners on one storage: the gateway for the pods and containerd, loopback for the host.
registry_config "$REGISTRY" > "$STATE/config/registry.yml"
registry_config "$REGISTRY_LOOPBACK" > "$STATE/config/registry-loopback.yml"
start registry docker-registry serve "$STATE/config/registry.yml"
start registry-loopback docker-registry serve "$STATE/config/registry-loopback.yml"
wait_for "registry on $REGISTRY" 30 bash -c "exec 3<>/dev/tcp/${REGISTRY%:*}/${REGISTRY#*:}"

# containerd pulls from the registry over plain HTTP, by its hosts.toml.
for host in "$REGISTRY" "$REGISTRY_LOOPBACK"; do
  mkdir -p "$STATE/certs.d/$host"
  printf 'server = "http://%s"\n\n[host."http://%s"]\n  capabilities = ["pull", "resolve", "push"]\n' \
    "$host" "$host" > "$STATE/certs.d/$host/hosts.toml"
done

# The pause image and a busybox image, both for amd64 and arm64 under one index, from Debian's
# busybox-static. Same input, same bytes: tar and gzip without times or owners.
"$REPO/hack/cluster-images.sh" "$REGISTRY"

STARTED="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
declare -A SINCE=()
# --- nodes -----------------------------------------------------------------------------------------
for spec in "${NODES[@]}"; do
  read -r name arch port healthz range_start range_end <<<"$spec"
  N="$(node_dir "$name")"
  mkdir -p "$N"/{kubelet,pod-logs,cni,ipam,containerd/root,containerd/state,containerd/opt}

  # The kubelet's cgroupRoot: each node's pods under their own tree in every hierarchy.
  for h in $(cgroup_hierarchies); do
    mkdir -p "$h/$name"
    if [ -f "$h/cpuset.cpus" ]; then
      [ -n "$(cat "$h/$name/cpuset.cpus")" ] || cat "$h/cpuset.cpus" > "$h/$name/cpuset.cpus"
      [ -n "$(cat "$h/$name/cpuset.mems")" ] || cat "$h/cpuset.mems" > "$h/$name/cpuset.mems"
    fi
  done

  cat > "$N/cni/10-lamina.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "lamina",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$N/ipam",
        "ranges": [[{"subnet": "$POD_SUBNET", "rangeStart": "$range_start", "rangeEnd": "$range_end", "gateway": "$GATEWAY"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    }
  ]
}
EOF

  # restrict_oom_score_adj: this session can't lower oom_score_adj (no CAP_SYS_RESOURCE).
  # The native runc runs the containers of both nodes: Debian's arm64 runc fails under qemu-user.
  cat > "$N/containerd.toml" <<EOF
version = 2
root = "$N/containerd/root"
state = "$N/containerd/state"
[grpc]
  address = "$(node_socket "$name")"
[ttrpc]
  address = "$(node_socket "$name").ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$N/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$REGISTRY/lamina/pause:1"
  restrict_oom_score_adj = true
  disable_apparmor = true
  netns_mounts_under_state_dir = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "$(command -v runc)"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$N/cni"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$STATE/certs.d"
EOF

  cat > "$N/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $GATEWAY
port: $port
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $healthz
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: $PKI/ca.crt
authorization:
  mode: Webhook
containerRuntimeEndpoint: unix://$(cri_socket "$name" "$arch")
cgroupDriver: cgroupfs
cgroupRoot: $(node_cgroup "$name")
failSwapOn: false
podLogsDir: $N/pod-logs
resolvConf: /etc/resolv.conf
serializeImagePulls: false
maxPods: 30
evictionHard:
  memory.available: 200Mi
  nodefs.available: 2%
  imagefs.available: 2%
  nodefs.inodesFree: 2%
EOF
  kubeconfig "$N/kubelet.kubeconfig" "kubelet-$name"

  # Native PATH first: the arm64 containerd starts the host's amd64 shim, which runs the host's runc.
  if [ "$arch" = arm64 ]; then
    CONTAINERD="$CONTAINERD_ARM64"
    KUBELET="$BIN_ARM64/kubelet"
  else
    CONTAINERD="$(command -v containerd)"
    KUBELET="$BIN/kubelet"
  fi
  start "containerd-$name" env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    "$CONTAINERD" --config "$N/containerd.toml"
  wait_for "containerd of $name" 180 test -S "$(node_socket "$name")"
  if [ "$arch" = arm64 ]; then
    start "cri-seccomp-proxy-$name" "$BIN/cri-seccomp-proxy" "$(cri_socket "$name" "$arch")" "$(node_socket "$name")"
    wait_for "CRI proxy of $name" 30 test -S "$(cri_socket "$name" "$arch")"
  fi
  start "kubelet-$name" "$KUBELET" --config "$N/kubelet.yaml" --kubeconfig "$N/kubelet.kubeconfig" \
    --root-dir "$N/kubelet" --cert-dir "$N/kubelet/pki" --hostname-override "$name" \
    --node-ip "$GATEWAY"
  if $STARTED_NOW; then
    SINCE[$name]="$STARTED"
  fi
done

# One kube-proxy serves both nodes: they share this machine's network namespace.
cat > "$STATE/config/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clientConnection:
  kubeconfig: $STATE/config/kube-proxy.kubeconfig
hostnameOverride: lamina-amd64
bindAddress: $GATEWAY
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
nodePortAddresses: ["$GATEWAY/32"]
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
EOF
start kube-proxy "$BIN/kube-proxy" --config "$STATE/config/kube-proxy.yaml"

# Ready as reported by the kubelet: a Node left from an earlier run still says Ready until its
# status goes stale, so for a kubelet started now the heartbeat must be newer than its start.
node_ready() { # name
  local status
  status="$("${KUBECTL[@]}" get node "$1" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status} {.status.conditions[?(@.type=="Ready")].lastHeartbeatTime}')"
  [ "${status%% *}" = True ] && [[ ! "${status#* }" < "${SINCE[$1]:-}" ]]
}
for spec in "${NODES[@]}"; do
  read -r name _ <<<"$spec"
  wait_for "node $name Ready" 600 node_ready "$name"
  say "node $name Ready ($("${KUBECTL[@]}" get node "$name" -o jsonpath='{.metadata.labels.kubernetes\.io/arch}'))"
done

say "cluster up"
"${KUBECTL[@]}" get nodes -o wide
echo
echo "export KUBECONFIG=$KUBECONFIG_PATH"
echo "registry (pods and host): $REGISTRY   (host only: $REGISTRY_LOOPBACK)"
