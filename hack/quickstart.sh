#!/usr/bin/env bash
# Lamina's main job, end to end on one machine with no cluster: make three Layer images (a Debian
# kernel, busybox, a tiny init) for amd64 and arm64 with `lamina layer`, assemble the OSImage in
# samples/quickstart/osimage.yaml into a kernel and initrd per architecture with `lamina build`,
# then boot each under QEMU and show what its init printed.
# Needs what `hack/install-deps.sh --quickstart` installs (JDK, Maven, QEMU, the arm64 package lists);
# downloads only Maven dependencies and two Debian packages per architecture. Writes out/quickstart/.
#
#   hack/quickstart.sh                      the whole job, as above
#   hack/quickstart.sh --push-layers PREFIX only make the three Layer images and push them to
#                                           PREFIX/kernel, PREFIX/busybox, PREFIX/init (a registry,
#                                           e.g. 127.0.0.1:5000/quickstart; hack/quickstart-cluster.sh)
#   hack/quickstart.sh --format FORMAT      build FORMAT instead: kernel+initrd (the default), uki,
#                                           raw-efi, qcow2-efi or iso-efi; the EFI formats also make
#                                           a stub Layer from systemd-boot-efi, build
#                                           samples/quickstart/osimage-efi.yaml and boot under UEFI
#                                           firmware (OVMF, AAVMF: hack/install-deps.sh installs them)
set -euo pipefail
cd "$(dirname "$0")/.."
push_prefix=""
format=kernel+initrd
usage() {
  echo "usage: hack/quickstart.sh [--push-layers REGISTRY/PREFIX] [--format kernel+initrd|uki|raw-efi|qcow2-efi|iso-efi]" >&2
  exit 2
}
while [ $# -gt 0 ]; do
  case "$1" in
    --push-layers) push_prefix="${2:?--push-layers needs REGISTRY/PREFIX}"; shift 2 ;;
    --format) format="${2:?--format needs a format}"; shift 2 ;;
    *) usage ;;
  esac
done
case "$format" in
  kernel+initrd) ;;
  uki|raw-efi|qcow2-efi|iso-efi)
    for f in /usr/share/OVMF/OVMF_CODE_4M.fd /usr/share/AAVMF/AAVMF_CODE.fd; do
      [ -f "$f" ] || { echo "quickstart: $f is missing: install ovmf and qemu-efi-aarch64 (hack/install-deps.sh)" >&2; exit 1; }
    done ;;
  *) usage ;;
esac
# Modes of the staged files reach the layers' bytes: fix them, whatever the caller's umask.
umask 022
export LC_ALL=C

started=$SECONDS
out=out/quickstart
jar=operator/target/lamina.jar
arches=(amd64 arm64)

say() { printf '\n== %s\n' "$*"; }
die() { echo "quickstart: $*" >&2; exit 1; }

for tool in java qemu-system-x86_64 qemu-system-aarch64 apt-get dpkg-deb tar timeout; do
  command -v "$tool" >/dev/null || die "$tool is missing: run 'hack/install-deps.sh --quickstart' first"
done
if ! dpkg --print-foreign-architectures | grep -qx arm64 && [ "$(id -u)" -ne 0 ]; then
  die "the arm64 package lists are missing: run 'hack/install-deps.sh --quickstart' first"
fi

if [ ! -f "$jar" ]; then
  command -v mvn >/dev/null || die "mvn is missing: run 'hack/install-deps.sh --quickstart' first"
  say "building $jar"
  mvn -B -q package -DskipTests
fi
lamina() { java -jar "$jar" "$@"; }

say "fetching the Debian kernel, busybox-static and systemd-boot-efi for ${arches[*]}"
debs="$(bash hack/boot/fetch-packages.sh)"

say "staging the layer trees in $out/trees"
rm -rf "$out"
mkdir -p "$out/trees" "$out/layouts"
for arch in "${arches[@]}"; do
  pkg="$debs/$arch/kernel"
  release="$(ls "$pkg/lib/modules")"
  trees="$out/trees/$arch"

  # Kernel layer, LinuxKit's layout: /kernel is the image, /kernel.tar the modules to install.
  # Two small modules without dependencies keep the initrd small; the init loads one.
  mods="$trees/modules/lib/modules/$release"
  mkdir -p "$trees/kernel" "$mods/kernel/lib"
  install -m 0644 "$pkg/boot/vmlinuz-$release" "$trees/kernel/kernel"
  for m in crc7 crc-itu-t; do
    install -m 0644 "$pkg/lib/modules/$release/kernel/lib/$m.ko" "$mods/kernel/lib/$m.ko"
    echo "kernel/lib/$m.ko:" >>"$mods/modules.dep"
  done
  tar --sort=name --format=ustar --owner=0 --group=0 --numeric-owner --mtime=@0 \
    -C "$trees/modules" -cf "$trees/kernel/kernel.tar" lib

  # Busybox layer: the static binary and the applets the init calls.
  mkdir -p "$trees/busybox/bin"
  install -m 0755 "$debs/$arch/busybox-static/bin/busybox" "$trees/busybox/bin/busybox"
  for applet in cat echo grep mount modprobe poweroff sh uname; do
    ln -s busybox "$trees/busybox/bin/$applet"
  done
done

# Init layer, the same for both architectures. A user cannot create /dev/console, so the init
# opens the console itself once devtmpfs is mounted.
init="$out/trees/init"
mkdir -p "$init/dev" "$init/etc" "$init/proc" "$init/sys"
chmod 0555 "$init/proc" "$init/sys"
cat >"$init/init" <<'EOF'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
modprobe crc7 && echo "LAMINA-MODULE-OK crc7"
echo "LAMINA-BOOT-OK arch=$(uname -m)"
echo "LAMINA-RELEASE $(cat /etc/lamina-release)"
poweroff -f
EOF
chmod 0755 "$init/init"

say "making the Layer images with lamina layer"
# layer NAME TAG AMD64_DIR ARM64_DIR: one image, one layer per platform, in its own OCI layout
# (or pushed to the registry of --push-layers).
layer() {
  local digest to="oci:$out/layouts/$1:$2"
  [ -z "$push_prefix" ] || to="$push_prefix/$1:$2"
  digest="$(lamina layer --platform "linux/amd64=$3" --platform "linux/arm64=$4" --to "$to")"
  echo "Layer $1: $to@$digest"
}
layer kernel debian12 "$out/trees/amd64/kernel" "$out/trees/arm64/kernel"
layer busybox debian12 "$out/trees/amd64/busybox" "$out/trees/arm64/busybox"
layer init 1 "$init" "$init"
if [ -n "$push_prefix" ]; then
  say "pushed the Layer images to $push_prefix in $((SECONDS - started)) s"
  exit 0
fi

if [ "$format" != kernel+initrd ]; then
  say "making the EFI stub Layer from systemd-boot-efi and building $format"
  for arch in "${arches[@]}"; do
    mkdir -p "$out/trees/$arch/efi-stub"
    cp -a "$debs/$arch/systemd-boot-efi/usr" "$out/trees/$arch/efi-stub/"
  done
  stub="$(lamina layer --platform "linux/amd64=$out/trees/amd64/efi-stub" \
    --platform "linux/arm64=$out/trees/arm64/efi-stub" --to "oci:$out/layouts/efi-stub:252")"
  echo "Layer efi-stub: oci:$out/layouts/efi-stub@$stub"
  sed -e "s/STUB_DIGEST/$stub/" -e "s/\[FORMATS\]/[$format]/" samples/quickstart/osimage-efi.yaml \
    >"$out/osimage-efi.yaml"
  lamina build -f "$out/osimage-efi.yaml" --out "$out/image"
  case "$format" in
    uki) file=uki.efi ;; raw-efi) file=disk.raw ;; qcow2-efi) file=disk.qcow2 ;; iso-efi) file=disk.iso ;;
  esac
  say "booting both images under UEFI firmware in QEMU (software emulation)"
  for arch in "${arches[@]}"; do
    hack/boot/uefi-boot.sh "$arch" "$format" "$out/image/$arch/$file" "$out/boot-$arch.log" \
      || die "$arch did not boot"
  done
  say "done in $((SECONDS - started)) s: $format per architecture in $out/image"
  exit 0
fi

say "assembling samples/quickstart/osimage.yaml with lamina build"
lamina build -f samples/quickstart/osimage.yaml --out "$out/image"

say "booting both images under QEMU (software emulation)"
for arch in "${arches[@]}"; do
  hack/boot/qemu-boot.sh "$arch" "$out/image/$arch" "$out/boot-$arch.log" || die "$arch did not boot"
done

say "done in $((SECONDS - started)) s: kernel and initrd per architecture in $out/image"
