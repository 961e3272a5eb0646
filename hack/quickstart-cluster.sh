#!/usr/bin/env bash
# The whole product on the local real cluster, as a user runs it: cluster up (hack/cluster-up.sh:
# control plane, an amd64 node and an emulated arm64 node, a registry), the operator image built
# and pushed (hack/build-image.sh), `kubectl apply -k` of deploy/ with the image set by a kustomize
# `images:` entry, the quickstart's Layers pushed to the cluster's registry and its OSImage for
# amd64 and arm64 applied, `kubectl wait --for=condition=Ready`, `kubectl get lamina -A`, then the
# artifacts pulled by the digests in status and booted under QEMU.
# Needs root (it runs itself through sudo) and what the full hack/install-deps.sh installs.
# Leaves the cluster running: use it with `KUBECONFIG=/var/lib/lamina-cluster/kubeconfig kubectl`,
# stop it with hack/cluster-down.sh. Writes out/quickstart-cluster/.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then
    exec sudo --preserve-env=LAMINA_CLUSTER_DIR,KUBE_API_TEST_DIR,HOME "$0" "$@"
  fi
  echo "hack/quickstart-cluster.sh starts a cluster: run it as root" >&2
  exit 1
fi
cd "$(dirname "$0")/.."
# shellcheck source=cluster-env.sh
source hack/cluster-env.sh
export LC_ALL=C

started=$SECONDS
out=out/quickstart-cluster
jar=operator/target/lamina.jar
ns=quickstart
image_repo=lamina/lamina
image_tag=quickstart
arches=(amd64 arm64)
kubectl() { "$BIN/kubectl" --kubeconfig "$KUBECONFIG_PATH" "$@"; }
say() { printf '\n== [%d s] %s\n' "$((SECONDS - started))" "$*"; }
die() { echo "quickstart-cluster: $*" >&2; exit 1; }

cat <<EOF
Lamina on a local real cluster. Its first run takes about 20 minutes on 2 cores (measured parts:
building the operator image about 8 minutes, the first cluster-up with the emulated arm64 node
several minutes, the arm64 build under emulation several more), after the full
hack/install-deps.sh (about 12 minutes for the control plane, more for the kubelets). Later runs
reuse the cluster, the image layers and the packages. Each step prints the seconds since start.
EOF

for tool in java mvn qemu-system-x86_64 qemu-system-aarch64; do
  command -v "$tool" >/dev/null || die "$tool is missing: run 'hack/install-deps.sh' first"
done
[ -x hack/cluster-up.sh ] || die "hack/cluster-up.sh is missing"
[ -x hack/build-image.sh ] || die "hack/build-image.sh is missing"

say "cluster up (hack/cluster-up.sh)"
hack/cluster-up.sh
kubectl get nodes -L kubernetes.io/arch

say "operator image: hack/build-image.sh --push $REGISTRY_LOOPBACK/$image_repo:$image_tag"
# It packages lamina.jar too. Its last line is the pushed index, REF@sha256:….
mkdir -p "$out"
hack/build-image.sh --push "$REGISTRY_LOOPBACK/$image_repo:$image_tag" | tee "$out/build-image.out"
pushed="$(tail -n 1 "$out/build-image.out")"
image_digest="${pushed##*@}"
[[ "$image_digest" == sha256:* ]] || die "hack/build-image.sh did not end with REF@sha256:…: $pushed"
echo "image $REGISTRY/$image_repo@$image_digest"

say "kubectl apply -k: deploy/ with the image set by kustomize"
rm -rf "$out/overlay"
mkdir -p "$out/overlay"
# An overlay of deploy/ as a user would write one for this cluster: the image by digest from the
# cluster's registry, which the operator and its build pods reach over plain HTTP, and the
# operator on the native node (the arm64 node emulates every instruction; builds go there).
cat >"$out/overlay/kustomization.yaml" <<EOF
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../../deploy
# deploy/'s own images: entry has already renamed lamina to the release image; match that name.
images:
  - name: ghcr.io/lamina-dev/lamina
    newName: $REGISTRY/$image_repo
    digest: $image_digest
patches:
  - target:
      kind: Deployment
      name: lamina-operator
    patch: |-
      - op: add
        path: /spec/template/spec/containers/0/args/-
        value: --insecure-registry=$REGISTRY
      - op: add
        path: /spec/template/spec/nodeSelector
        value:
          kubernetes.io/arch: amd64
# deploy/'s build-pod admission policy takes the operator's image from the Deployment; an overlay
# that changes the image repeats that copy (see deploy/base/kustomization.yaml).
replacements:
  - source:
      kind: Deployment
      name: lamina-operator
      fieldPath: spec.template.spec.containers.[name=operator].image
    targets:
      - select:
          kind: ValidatingAdmissionPolicy
          name: lamina-build-pods
        fieldPaths:
          - spec.variables.[name=builderImage].expression
        options:
          delimiter: "'"
          index: 1
EOF
kubectl apply -k "$out/overlay"
kubectl -n lamina-system wait --for=condition=Available deployment/lamina-operator --timeout=10m
kubectl -n lamina-system get pods -o wide

say "samples: Layers made with lamina layer, pushed to the cluster's registry"
hack/quickstart.sh --push-layers "$REGISTRY_LOOPBACK/$ns"
# The quickstart's objects with the Layers in the cluster's registry and an output repository.
{
  sed "s#oci:out/quickstart/layouts/#$REGISTRY/$ns/#" samples/quickstart/osimage.yaml
  printf '  output:\n    repository: %s\n' "$REGISTRY/$ns/os"
} >"$out/samples.yaml"
kubectl create namespace "$ns" --dry-run=client -o yaml | kubectl apply -f -
kubectl -n "$ns" apply -f "$out/samples.yaml"

say "kubectl wait --for=condition=Ready osimage/quickstart"
t_apply=$SECONDS
if ! kubectl -n "$ns" wait --for=condition=Ready osimage/quickstart --timeout=30m; then
  kubectl -n "$ns" get osimage quickstart -o yaml >&2
  kubectl -n "$ns" get pods -o wide >&2
  die "the OSImage did not become Ready"
fi
echo "apply -> Ready in $((SECONDS - t_apply)) s"
kubectl get lamina -A
digest="$(kubectl -n "$ns" get osimage quickstart -o jsonpath='{.status.digest}')"
kubectl -n "$ns" get osimage quickstart -o jsonpath='{range .status.architectures[*]}{.architecture}{"  "}{.manifestDigest}{"\n"}{end}'
echo "index $REGISTRY/$ns/os@$digest"

say "pulling the artifacts by digest and booting both under QEMU"
java -cp "$jar" hack/boot/PullArtifacts.java "$REGISTRY_LOOPBACK/$ns/os@$digest" "$out/artifacts" "${arches[@]}"
for arch in "${arches[@]}"; do
  hack/boot/qemu-boot.sh "$arch" "$out/artifacts/$arch" "$out/boot-$arch.log" || die "$arch did not boot"
done

say "done in $((SECONDS - started)) s; the cluster keeps running (hack/cluster-down.sh stops it)"
