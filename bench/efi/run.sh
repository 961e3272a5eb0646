#!/usr/bin/env bash
# Benchmark of the EFI formats against kernel+initrd, on the assembler benchmark's corpus: the
# initrd bench/assemble/run.sh makes from it (about 456 MB uncompressed, gzip -6) is put into a UKI
# with Debian's kernel and systemd-boot-efi stub, and the UKI into a raw GPT disk, a qcow2 disk and
# an ISO. The kernel+initrd baseline is the assembler's time for that initrd (timed here once);
# each writer is timed against a plain copy of the same bytes (best of ROUNDS), and its size
# printed.
#
#   bench/efi/run.sh [ROUNDS]     (default 3; BENCH_DIR as for bench/assemble)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${BENCH_DIR:-/tmp/lamina-bench-assemble}
ROUNDS=${1:-3}
JAR=$ROOT/operator/target/lamina.jar
[ -f "$JAR" ] || (cd "$ROOT" && mvn -B -q -o -pl operator package -DskipTests)

INPUT=$WORK/input
if [ ! -f "$INPUT/layers.args" ]; then
  mkdir -p "$INPUT"
  java -cp "$JAR" "$ROOT/bench/assemble/GenerateInput.java" "$INPUT"
fi
mapfile -t LAYERS <"$INPUT/layers.args"
INITRD=$WORK/efi/initrd.img
mkdir -p "$WORK/efi"
t0=$(date +%s%N)
java -Xmx192m -XX:+UseSerialGC -cp "$JAR" dev.lamina.cli.Main assemble --compression gzip \
  --initrd "$INITRD" "${LAYERS[@]}" >/dev/null
echo "kernel+initrd baseline: assembling the initrd took $(( ($(date +%s%N) - t0) / 1000000 )) ms, $(stat -c %s "$INITRD") bytes"
DEBS=$(bash "$ROOT/hack/boot/fetch-packages.sh")
for arch in amd64 arm64; do
  stub=$DEBS/$arch/systemd-boot-efi/usr/lib/systemd/boot/efi/linux$([ $arch = amd64 ] && echo x64 || echo aa64).efi.stub
  kernel=$(ls "$DEBS/$arch/kernel/boot/"vmlinuz-*)
  java -Xmx192m -XX:+UseSerialGC -cp "$JAR" "$ROOT/bench/efi/EfiFormats.java" \
    "$arch" "$stub" "$kernel" "$INITRD" "$WORK/efi/$arch" "$ROUNDS"
done
rm -rf "$WORK/efi/amd64" "$WORK/efi/arm64"
