#!/usr/bin/env bash
# Benchmark of the assembler: a multi-layer image (about 456 MB uncompressed, 17,000+ files, with
# overwrites, whiteouts, an opaque directory, hard links and symlinks) made into a gzip -6 initrd by
#   lamina  `lamina assemble` (union + cpio newc + parallel gzip), JVM flags in $JAVA_FLAGS
#   umoci   umoci unpack --rootless, then find | cpio -o -H newc | gzip -6
#   floor   gzip -dc of the layers | pigz -6 -p 2 > /dev/null
# and reports wall time, CPU time, MB/s (uncompressed input MB / wall s) and peak RSS of each, with
# ratios per round and for the best round of each. The page cache is warm for all three (the input
# is read once before timing).
#
#   bench/assemble/run.sh [ROUNDS]      (default 3; BENCH_DIR moves the work directory)
#
# Then bench/assemble/peers.sh runs `lamina build` as users run it against LinuxKit, warm and cold,
# on a large and a small corpus: LINUXKIT=/path/to/linuxkit adds LinuxKit (without it, Lamina
# alone, and it says so); PEERS=0 skips that part.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${BENCH_DIR:-/tmp/lamina-bench-assemble}
ROUNDS=${1:-3}
JAVA_FLAGS=${JAVA_FLAGS:--Xmx192m -XX:+UseSerialGC}
JAR=$ROOT/operator/target/lamina.jar

need=()
command -v umoci >/dev/null || need+=(umoci)
command -v pigz >/dev/null || need+=(pigz)
command -v cpio >/dev/null || need+=(cpio)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}"
fi

if [ ! -f "$JAR" ]; then
  (cd "$ROOT" && mvn -B -q -o -pl operator package -DskipTests)
fi

INPUT=$WORK/input
if [ ! -f "$INPUT/layers.args" ]; then
  rm -rf "$INPUT"
  mkdir -p "$INPUT"
  java -cp "$JAR" "$ROOT/bench/assemble/GenerateInput.java" "$INPUT"
fi
mapfile -t BLOBS <"$INPUT/blobs.txt"
mapfile -t LAYERS <"$INPUT/layers.args"
MB=$(awk '{printf "%.1f", $1 / 1e6}' "$INPUT/uncompressed-bytes")
OUT=$WORK/out
mkdir -p "$OUT"
cat "${BLOBS[@]}" >/dev/null

calc() { awk "BEGIN { printf \"%.4f\", $1 }"; }

# measure NAME CMD...: runs CMD under GNU time and prints "wall cpu rss_mb".
measure() {
  local name=$1
  shift
  /usr/bin/time -v -o "$OUT/$name.time" "$@" 2>"$OUT/$name.err" || {
    cat "$OUT/$name.err" >&2
    return 1
  }
  awk -F': ' '
    /Elapsed \(wall clock\)/ { n = split($2, p, ":"); wall = 0; for (i = 1; i <= n; i++) wall = wall * 60 + p[i] }
    /User time/ { cpu += $2 }
    /System time/ { cpu += $2 }
    /Maximum resident/ { rss = $2 / 1024 }
    END { printf "%.2f %.2f %.0f\n", wall, cpu, rss }' "$OUT/$name.time"
}

echo "input: ${#BLOBS[@]} gzip layers, $MB MB uncompressed; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "lamina JVM flags: $JAVA_FLAGS"
declare -A best
row() { printf '  %-7s %8.2f %8.2f %8.1f %8d\n' "$1" "$2" "$3" "$(calc "$MB / $2")" "$4"; }
for round in $(seq 1 "$ROUNDS"); do
  declare -A res
  res[floor]=$(measure floor bash -c 'gzip -dc "$@" | pigz -6 -p 2 >/dev/null' _ "${BLOBS[@]}")
  res[lamina]=$(measure lamina java $JAVA_FLAGS -cp "$JAR" dev.lamina.cli.Main assemble \
    --compression gzip --initrd "$OUT/lamina.img" "${LAYERS[@]}")
  rm -rf "$OUT/bundle"
  res[umoci]=$(measure umoci bash -c 'umoci unpack --rootless --image "$1:bench" "$2" >/dev/null &&
    cd "$2/rootfs" && find . | cpio -o -H newc --quiet | gzip -6 >"$3"' _ "$INPUT/layout" "$OUT/bundle" "$OUT/umoci.img")
  rm -rf "$OUT/bundle"
  echo "round $round (load after $(cut -d' ' -f1 /proc/loadavg)): $(tr -d '\n' <"$OUT/lamina.err")"
  printf '  %-7s %8s %8s %8s %8s\n' "" "wall s" "cpu s" "MB/s" "RSS MB"
  for name in floor lamina umoci; do
    read -r wall cpu rss <<<"${res[$name]}"
    row "$name" "$wall" "$cpu" "$rss"
    read -r bw _ <<<"${best[$name]:-999999 0 0}"
    if awk "BEGIN { exit !($wall < $bw) }"; then best[$name]="${res[$name]}"; fi
  done
done
echo "best of $ROUNDS (shortest wall of each; other work on the machine only ever slows a run down):"
printf '  %-7s %8s %8s %8s %8s\n' "" "wall s" "cpu s" "MB/s" "RSS MB"
for name in floor lamina umoci; do
  read -r wall cpu rss <<<"${best[$name]}"
  row "$name" "$wall" "$cpu" "$rss"
done
read -r fw _ <<<"${best[floor]}"
read -r lw _ lr <<<"${best[lamina]}"
read -r uw _ <<<"${best[umoci]}"
printf '  lamina/floor %.2fx (target <= 1.25x); umoci/lamina %.2fx (target >= 2x); lamina RSS %d MB (target <= 400)\n' \
  "$(calc "$lw / $fw")" "$(calc "$uw / $lw")" "$lr"
printf '  sizes: lamina %d bytes, umoci pipeline %d bytes\n' "$(stat -c %s "$OUT/lamina.img")" "$(stat -c %s "$OUT/umoci.img")"

# Same union as umoci: the two archives must list the same paths.
gzip -dc "$OUT/lamina.img" | cpio -it --quiet | LC_ALL=C sort >"$OUT/lamina.list"
gzip -dc "$OUT/umoci.img" | cpio -it --quiet | sed -e 's|^\./||' -e '/^\.$/d' | LC_ALL=C sort >"$OUT/umoci.list"
if cmp -s "$OUT/lamina.list" "$OUT/umoci.list"; then
  echo "paths: lamina and umoci agree ($(wc -l <"$OUT/lamina.list") entries)"
else
  echo "paths: lamina and umoci DIFFER:"
  diff "$OUT/umoci.list" "$OUT/lamina.list" | head -20
  exit 1
fi

if [ "${PEERS:-1}" = 1 ]; then
  echo
  "$ROOT/bench/assemble/peers.sh" "$ROUNDS"
fi
