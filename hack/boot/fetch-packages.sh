#!/usr/bin/env bash
# Fetches the Debian packages the boot tests are built from (a kernel, busybox-static, the
# systemd-boot-efi UKI stubs, and runc with the libraries it links, libseccomp2 and libc6, for
# amd64 and arm64) with apt-get, and unpacks each with dpkg-deb under $LAMINA_CACHE/debs/<arch>/<package>.
# Idempotent: a package already unpacked (marked by .unpacked) is left alone. Run as root (apt-get).
# Prints the cache directory on stdout; progress goes to stderr.
set -euo pipefail

cache="${LAMINA_CACHE:-$HOME/.cache/lamina}/debs"
mkdir -p "$cache"

log() { echo "fetch-packages: $*" >&2; }

# The kernel package that linux-image-amd64 points at, e.g. linux-image-6.1.0-56-amd64; the arm64
# flavour of the same ABI is linux-image-6.1.0-56-arm64.
kernel_abi() {
  apt-cache depends linux-image-amd64 2>/dev/null \
    | sed -n 's/^ *Depends: linux-image-\([0-9][^ ]*\)-amd64$/\1/p' | head -n1
}

if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  log "adding the arm64 architecture"
  dpkg --add-architecture arm64
  apt-get update -q >&2
fi
abi="$(kernel_abi)"
if [[ -z "$abi" ]] || ! apt-cache show "linux-image-$abi-arm64:arm64" >/dev/null 2>&1; then
  log "refreshing the package lists"
  apt-get update -q >&2
  abi="$(kernel_abi)"
fi
[[ -n "$abi" ]] || { echo "fetch-packages: cannot tell which kernel linux-image-amd64 depends on" >&2; exit 1; }

# fetch ARCH PACKAGE: download PACKAGE:ARCH and unpack it into $cache/ARCH/PACKAGE.
fetch() {
  local arch="$1" pkg="$2" dest="$cache/$1/$2"
  if [[ -f "$dest/.unpacked" ]]; then
    return
  fi
  log "downloading $pkg:$arch"
  local work
  work="$(mktemp -d "$cache/.work.XXXXXX")"
  # The cache may sit where apt's unprivileged _apt user cannot write; this is a plain download.
  (cd "$work" && apt-get download -q -o APT::Sandbox::User=root "$pkg:$arch" >&2)
  rm -rf "$dest"
  mkdir -p "$dest"
  dpkg-deb -x "$work"/*.deb "$dest"
  rm -rf "$work"
  touch "$dest/.unpacked"
}

fetch amd64 "linux-image-$abi-amd64"
fetch arm64 "linux-image-$abi-arm64"
fetch amd64 busybox-static
fetch arm64 busybox-static
# The UKI stubs of the EFI formats (linuxx64.efi.stub, linuxaa64.efi.stub).
fetch amd64 systemd-boot-efi
fetch arm64 systemd-boot-efi
# The containers boot test's init runs runc (dynamically linked: libseccomp.so.2, libc.so.6).
for arch in amd64 arm64; do
  for pkg in runc libseccomp2 libc6; do
    fetch "$arch" "$pkg"
  done
done

# The tests find the kernel packages through these stable names.
ln -sfn "linux-image-$abi-amd64" "$cache/amd64/kernel"
ln -sfn "linux-image-$abi-arm64" "$cache/arm64/kernel"
echo "$cache"
