#!/usr/bin/env bash
# Pushes the local cluster's two base images to REGISTRY (host:port, plain HTTP), each an OCI index
# of a linux/amd64 and a linux/arm64 image made from Debian's busybox-static:
#   REGISTRY/lamina/pause:1    the pod sandbox: sleeps until killed
#   REGISTRY/lamina/busybox:1  busybox with every applet in /bin, user 65532
# Nothing is pulled from anywhere; the same busybox gives the same digests. Skips an image the
# registry already has.
set -euo pipefail

REGISTRY="${1:?usage: cluster-images.sh REGISTRY}"
AMD64_BUSYBOX="${AMD64_BUSYBOX:-/bin/busybox}"
ARM64_BUSYBOX="${ARM64_BUSYBOX:-/opt/lamina/busybox-arm64/bin/busybox}"
for b in "$AMD64_BUSYBOX" "$ARM64_BUSYBOX"; do
  [ -x "$b" ] || { echo "cluster-images: $b is missing: run hack/install-deps.sh" >&2; exit 1; }
done

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

sha() { sha256sum "$1" | cut -d' ' -f1; }
size() { stat -c %s "$1"; }
blob() { # file -> moved into the layout, prints its hex digest
  local d
  d="$(sha "$1")"
  mv "$1" "$LAYOUT/blobs/sha256/$d"
  echo "$d"
}

# One layer per architecture: /bin/busybox and a link per applet (the list is the same for both
# builds of one Debian version; the host's busybox lists it without running the arm64 one).
layer() { # arch, busybox -> prints "<diff id> <blob digest>"
  local root="$WORK/root-$1"
  mkdir -p "$root/bin" "$root/tmp"
  chmod 1777 "$root/tmp"
  cp "$2" "$root/bin/busybox"
  for applet in $("$AMD64_BUSYBOX" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
  done
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 --format=posix \
    --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
    -C "$root" -cf "$WORK/layer-$1.tar" .
  local diff
  diff="$(sha "$WORK/layer-$1.tar")"
  gzip -n -9 "$WORK/layer-$1.tar"
  echo "$diff $(blob "$WORK/layer-$1.tar.gz")"
}

image() { # name, entrypoint JSON array
  local name=$1 entrypoint=$2
  if skopeo inspect --raw --tls-verify=false "docker://$REGISTRY/lamina/$name:1" >/dev/null 2>&1; then
    echo "$REGISTRY/lamina/$name:1 already there"
    return
  fi
  LAYOUT="$WORK/$name"
  mkdir -p "$LAYOUT/blobs/sha256"
  local entries="" arch busybox diff layer_digest config manifest
  for arch in amd64 arm64; do
    if [ "$arch" = amd64 ]; then busybox="$AMD64_BUSYBOX"; else busybox="$ARM64_BUSYBOX"; fi
    read -r diff layer_digest < <(layer "$arch" "$busybox")
    rm -rf "$WORK/root-$arch"
    printf '{"architecture":"%s","os":"linux","config":{"User":"65532:65532","Env":["PATH=/bin"],"Entrypoint":%s},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
      "$arch" "$entrypoint" "$diff" > "$WORK/config.json"
    local config_size
    config_size="$(size "$WORK/config.json")"
    config="$(blob "$WORK/config.json")"
    printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' \
      "$config" "$config_size" "$layer_digest" "$(size "$LAYOUT/blobs/sha256/$layer_digest")" > "$WORK/manifest.json"
    local manifest_size
    manifest_size="$(size "$WORK/manifest.json")"
    manifest="$(blob "$WORK/manifest.json")"
    entries="$entries${entries:+,}{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:$manifest\",\"size\":$manifest_size,\"platform\":{\"architecture\":\"$arch\",\"os\":\"linux\"}}"
  done
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[%s]}' "$entries" > "$WORK/index.json"
  local index_size index
  index_size="$(size "$WORK/index.json")"
  index="$(blob "$WORK/index.json")"
  printf '{"imageLayoutVersion":"1.0.0"}' > "$LAYOUT/oci-layout"
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"1"}}]}' \
    "$index" "$index_size" > "$LAYOUT/index.json"
  skopeo copy --quiet --all --preserve-digests --dest-tls-verify=false \
    "oci:$LAYOUT:1" "docker://$REGISTRY/lamina/$name:1"
  echo "pushed $REGISTRY/lamina/$name:1@sha256:$index"
}

image pause '["/bin/busybox","sleep","2147483647"]'
image busybox '["/bin/busybox"]'
