#!/usr/bin/env bash
# Boots an EFI image under UEFI firmware in QEMU (OVMF for amd64, AAVMF for arm64, software
# emulation) and shows the init's LAMINA-* marker lines:
#   hack/boot/uefi-boot.sh ARCH FORMAT FILE LOG
# FORMAT is uki (FILE is the UKI; it becomes EFI/BOOT/BOOT*.EFI of a FAT drive QEMU makes from a
# directory), raw-efi or qcow2-efi (FILE is the disk), or iso-efi (FILE is the ISO, as a CD-ROM).
# The image is never written to (snapshot=on, read-only CD). Fails unless the init printed
# LAMINA-BOOT-OK. LAMINA_BOOT_TIMEOUT (default 600 s: arm64 firmware under emulation is slow)
# bounds a boot that hangs.
set -euo pipefail
arch="$1" format="$2" file="$3" log="$4"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
case "$arch" in
  amd64)
    cp /usr/share/OVMF/OVMF_VARS_4M.fd "$work/vars.fd"
    qemu=(qemu-system-x86_64 -M pc -drive if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd)
    boot=BOOTX64.EFI ;;
  arm64)
    cp /usr/share/AAVMF/AAVMF_VARS.fd "$work/vars.fd"
    qemu=(qemu-system-aarch64 -M virt -cpu cortex-a57 -drive if=pflash,format=raw,readonly=on,file=/usr/share/AAVMF/AAVMF_CODE.fd)
    boot=BOOTAA64.EFI ;;
  *) echo "uefi-boot: no UEFI firmware for $arch" >&2; exit 2 ;;
esac
qemu+=(-drive "if=pflash,format=raw,file=$work/vars.fd")
case "$format" in
  uki)
    mkdir -p "$work/esp/EFI/BOOT"
    cp "$file" "$work/esp/EFI/BOOT/$boot"
    media=(-drive "if=virtio,snapshot=on,format=raw,file=fat:$work/esp") ;;
  raw-efi) media=(-drive "if=virtio,snapshot=on,format=raw,file=$file") ;;
  qcow2-efi) media=(-drive "if=virtio,snapshot=on,format=qcow2,file=$file") ;;
  iso-efi)
    media=(-device virtio-scsi-pci -drive "if=none,id=cd,media=cdrom,readonly=on,format=raw,file=$file"
      -device scsi-cd,drive=cd) ;;
  *) echo "uefi-boot: unknown format $format" >&2; exit 2 ;;
esac
t0=$SECONDS
timeout "${LAMINA_BOOT_TIMEOUT:-600}" "${qemu[@]}" -m 512 -nographic -no-reboot -nodefaults \
  -serial stdio "${media[@]}" </dev/null >"$log" 2>&1 || true
tr -d '\r' <"$log" | grep -a '^LAMINA-' | sed "s/^/$arch $format: /" || true
echo "$arch $format: booted in $((SECONDS - t0)) s; console log $log"
if ! grep -aq "LAMINA-BOOT-OK" "$log"; then
  tail -n 20 "$log" >&2
  echo "uefi-boot: $arch $format did not reach its init" >&2
  exit 1
fi
