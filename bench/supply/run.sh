#!/usr/bin/env bash
# The SBOM's cost on the assembler benchmark corpus (bench/assemble, generated there if missing)
# plus one layer with this machine's /var/lib/dpkg/status (a real Debian package database):
# union, gzip initrd and SBOM times per round, and the SBOM's size.
#
#   bench/supply/run.sh [ROUNDS]      (default 3; BENCH_DIR as for bench/assemble)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${BENCH_DIR:-/tmp/lamina-bench-assemble}
ROUNDS=${1:-3}
JAR=${LAMINA_JAR:-$ROOT/operator/target/lamina.jar}
INPUT=$WORK/input
if [ ! -f "$INPUT/layers.args" ]; then
  mkdir -p "$INPUT"
  java -cp "$JAR" "$ROOT/bench/assemble/GenerateInput.java" "$INPUT"
fi
OUT=$WORK/supply
rm -rf "$OUT"
mkdir -p "$OUT/dpkg/var/lib/dpkg"
cp /var/lib/dpkg/status "$OUT/dpkg/var/lib/dpkg/status"
tar -C "$OUT/dpkg" --owner=0 --group=0 --mtime=@0 -cf "$OUT/dpkg.tar" var
mapfile -t LAYERS <"$INPUT/layers.args"
java -Xmx192m -XX:+UseSerialGC -cp "$JAR" "$ROOT/bench/supply/SbomBench.java" "$ROUNDS" "$OUT" \
  "${LAYERS[@]}" "dpkg=$OUT/dpkg.tar"
echo "SBOM: $OUT/sbom.spdx.json ($(stat -c %s "$OUT/sbom.spdx.json") bytes," \
  "$(gzip -9c "$OUT/sbom.spdx.json" | wc -c) gzipped)"
