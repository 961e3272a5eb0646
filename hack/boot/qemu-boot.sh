#!/usr/bin/env bash
# Boots an assembled kernel and initrd under QEMU (software emulation) and shows the init's
# LAMINA-* marker lines: hack/boot/qemu-boot.sh ARCH DIR LOG, where DIR holds kernel, initrd.img
# and cmdline. The init powers off, which ends QEMU; fails unless it printed LAMINA-BOOT-OK.
# LAMINA_BOOT_TIMEOUT (default 120 s) bounds a boot that hangs.
set -euo pipefail
arch="$1" dir="$2" log="$3"
case "$arch" in
  amd64) qemu=(qemu-system-x86_64 -M pc); console=ttyS0 ;;
  arm64) qemu=(qemu-system-aarch64 -M virt -cpu cortex-a57); console=ttyAMA0 ;;
  *) echo "qemu-boot: no QEMU machine for $arch" >&2; exit 2 ;;
esac
t0=$SECONDS
# panic=-1 with -no-reboot: a kernel panic ends QEMU at once instead of hanging to the timeout.
timeout "${LAMINA_BOOT_TIMEOUT:-120}" "${qemu[@]}" -m 512 -nographic -no-reboot \
  -kernel "$dir/kernel" -initrd "$dir/initrd.img" \
  -append "console=$console panic=-1 $(cat "$dir/cmdline")" </dev/null >"$log" 2>&1 || true
tr -d '\r' <"$log" | grep '^LAMINA-' | sed "s/^/$arch: /" || true
echo "$arch: booted in $((SECONDS - t0)) s; console log $log"
if ! grep -q "LAMINA-BOOT-OK" "$log"; then
  tail -n 20 "$log" >&2
  echo "qemu-boot: $arch did not reach its init" >&2
  exit 1
fi
