#!/usr/bin/env bash
# `lamina build` against LinuxKit, side by side: kernel+initrd (gzip), amd64, on two corpora made by
# GenerateInput.java (large: 4 init layers, 456 MB, ~18,200 initrd entries;
# small: a seventh of it, ~3,100 entries), each with a kernel layer holding `kernel` and
# `kernel.tar` as LinuxKit kernel images do. Both peers get the images as one-platform OCI indexes
# (LinuxKit re-validates a cached bare manifest on every run, about 7 CPU-seconds on large).
#   warm  lamina: the images in an OCI layout on disk (oci:DIR@digest);
#         linuxkit: its cache (also an OCI layout) filled by an earlier run
#   cold  both pull from docker-registry on loopback; linuxkit starts from an empty cache
# Every round runs each of the four once per corpus, in turn, so load from other work spreads over
# all of them; the report gives medians of wall time, CPU seconds (user+system) and peak RSS, the
# initrd size, and the load average before and after.
#
#   LINUXKIT=/path/to/linuxkit bench/assemble/peers.sh [ROUNDS]   (default 5; run.sh calls it)
# hack/build-linuxkit.sh builds that binary from a LinuxKit source tree or git repository.
# Without LINUXKIT (or when it can't run) only Lamina is measured, and the report says so.
# JAVA_FLAGS adds JVM options to `lamina build` (none by default: users run `java -jar`);
# LAMINA_JAR runs another jar than operator/target/lamina.jar; REF_JAR adds that jar as two more
# peers (ref-warm, ref-cold), interleaved with the others, so an old and a new build are compared
# in the same run under the same load.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${BENCH_DIR:-/tmp/lamina-bench-assemble}/peers
ROUNDS=${1:-5}
JAR=${LAMINA_JAR:-$ROOT/operator/target/lamina.jar}
JAVA_FLAGS=${JAVA_FLAGS:-}
LINUXKIT=${LINUXKIT:-}
REF_JAR=${REF_JAR:-}
CORPORA=${CORPORA:-small large}

for tool in docker-registry skopeo /usr/bin/time; do
  command -v "$tool" >/dev/null || {
    echo "peers: $tool is missing (hack/install-deps.sh installs it)" >&2
    exit 1
  }
done
[ -f "$JAR" ] || (cd "$ROOT" && mvn -B -q -o -pl operator package -DskipTests)
if [ -n "$LINUXKIT" ] && ! "$LINUXKIT" version >/dev/null 2>&1; then
  echo "peers: LINUXKIT=$LINUXKIT does not run; measuring Lamina only"
  LINUXKIT=
fi
[ -n "$LINUXKIT" ] || echo "peers: no LinuxKit (set LINUXKIT=path to a linuxkit binary): Lamina only"

mkdir -p "$WORK"
REG=$WORK/registry
rm -rf "$REG"
mkdir -p "$REG/data"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$REG/config.yml" <<EOF
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $REG/data}, delete: {enabled: true}}
http: {addr: 127.0.0.1:$PORT}
EOF
docker-registry serve "$REG/config.yml" >"$REG/log" 2>&1 &
REG_PID=$!
trap 'kill $REG_PID 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/v2/" >/dev/null && break; sleep 0.2; done

# measure OUT NAME CMD...: runs CMD under GNU time, prints "wall cpu rss_mb".
measure() {
  local out=$1 name=$2
  shift 2
  /usr/bin/time -v -o "$out/$name.time" "$@" >"$out/$name.log" 2>&1 || {
    tail -20 "$out/$name.log" >&2
    return 1
  }
  awk -F': ' '
    /Elapsed \(wall clock\)/ { n = split($2, p, ":"); wall = 0; for (i = 1; i <= n; i++) wall = wall * 60 + p[i] }
    /User time/ { cpu += $2 }
    /System time/ { cpu += $2 }
    /Maximum resident/ { rss = $2 / 1024 }
    END { printf "%.2f %.2f %.0f\n", wall, cpu, rss }' "$out/$name.time"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

layers_yaml() { # KERNEL_REF INIT_REF
  cat <<EOF
apiVersion: lamina.dev/v1alpha1
kind: Layer
metadata: {name: kernel}
spec: {image: "$1", platforms: [linux/amd64]}
---
apiVersion: lamina.dev/v1alpha1
kind: Layer
metadata: {name: init}
spec: {image: "$2", platforms: [linux/amd64]}
---
apiVersion: lamina.dev/v1alpha1
kind: OSImage
metadata: {name: bench}
spec:
  architectures: [amd64]
  kernel: {layer: kernel, cmdline: console=ttyS0}
  init: [init]
EOF
}

for corpus in $CORPORA; do
  IN=$WORK/$corpus
  if [ ! -f "$IN/images.env" ]; then
    rm -rf "$IN"
    mkdir -p "$IN"
    java -cp "$JAR" "$ROOT/bench/assemble/GenerateInput.java" "$IN" "$corpus"
  fi
  # shellcheck disable=SC1091
  . "$IN/images.env"
  R=127.0.0.1:$PORT/bench-$corpus
  for img in init kernel; do
    skopeo copy -q --all --preserve-digests --dest-tls-verify=false \
      "oci:$IN/layout:$img" "docker://$R/$img:latest"
  done
  layers_yaml "oci:$IN/layout@$KERNEL_INDEX" "oci:$IN/layout@$INIT_INDEX" >"$IN/lamina-warm.yaml"
  layers_yaml "$R/kernel@$KERNEL_INDEX" "$R/init@$INIT_INDEX" >"$IN/lamina-cold.yaml"
  cat >"$IN/linuxkit.yml" <<EOF
kernel:
  image: $R/kernel:latest@$KERNEL_INDEX
  cmdline: "console=ttyS0"
init:
  - $R/init:latest@$INIT_INDEX
EOF
  cat "$IN"/layout/blobs/sha256/* >/dev/null # page cache warm for every peer
done

peers=(lamina-warm lamina-cold)
[ -n "$REF_JAR" ] && peers+=(ref-warm ref-cold)
[ -n "$LINUXKIT" ] && peers+=(linuxkit-warm linuxkit-cold)

run_peer() { # CORPUS PEER OUT
  local IN=$WORK/$1 out=$3
  rm -rf "$out/$2" "$IN/lk-cold-cache"
  mkdir -p "$out/$2"
  case $2 in
    lamina-*)
      # shellcheck disable=SC2086
      measure "$out" "$2" java $JAVA_FLAGS -jar "$JAR" build -f "$IN/$2.yaml" --out "$out/$2"
      ;;
    ref-*)
      # shellcheck disable=SC2086
      measure "$out" "$2" java $JAVA_FLAGS -jar "$REF_JAR" build -f "$IN/lamina-${2#ref-}.yaml" \
        --out "$out/$2"
      ;;
    linuxkit-warm)
      measure "$out" "$2" "$LINUXKIT" build --format kernel+initrd --arch amd64 --no-sbom \
        --cache "$IN/lk-cache" --name bench --dir "$out/$2" "$IN/linuxkit.yml"
      ;;
    linuxkit-cold)
      measure "$out" "$2" "$LINUXKIT" build --format kernel+initrd --arch amd64 --no-sbom \
        --cache "$IN/lk-cold-cache" --name bench --dir "$out/$2" "$IN/linuxkit.yml"
      ;;
  esac
}

initrd_of() { # OUT PEER
  if [ -f "$1/$2/amd64/initrd.img" ]; then stat -c %s "$1/$2/amd64/initrd.img"; else stat -c %s "$1/$2/bench-initrd.img"; fi
}

RES=$WORK/results
rm -rf "$RES"
mkdir -p "$RES"
echo "peers: $(nproc) cores; lamina JVM flags: '${JAVA_FLAGS}'; linuxkit: ${LINUXKIT:-none}; ref: ${REF_JAR:-none}; $ROUNDS rounds; load $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -n "$LINUXKIT" ]; then
  for corpus in $CORPORA; do # fill LinuxKit's warm cache; not timed
    rm -rf "$WORK/$corpus/lk-cache"
    run_peer "$corpus" linuxkit-warm "$WORK/$corpus/fill" >/dev/null
  done
fi
for round in $(seq 1 "$ROUNDS"); do
  for corpus in $CORPORA; do
    out=$WORK/$corpus/out
    for peer in "${peers[@]}"; do
      load=$(cut -d' ' -f1 /proc/loadavg)
      read -r wall cpu rss <<<"$(run_peer "$corpus" "$peer" "$out")"
      size=$(initrd_of "$out" "$peer")
      echo "$corpus $peer $round $wall $cpu $rss $size $load" | tee -a "$RES/all"
    done
  done
done

echo
echo "medians of $ROUNDS interleaved rounds (wall s, cpu s = user+sys, peak RSS MB, initrd bytes, 1-min load before each run):"
printf '  %-6s %-14s %8s %8s %8s %12s %6s\n' corpus peer "wall" "cpu" "RSS" "initrd" "load"
for corpus in $CORPORA; do
  for peer in "${peers[@]}"; do
    col() { awk -v c="$corpus" -v p="$peer" -v k="$1" '$1 == c && $2 == p { print $k }' "$RES/all" | median; }
    printf '  %-6s %-14s %8.2f %8.2f %8.0f %12d %6.1f\n' "$corpus" "$peer" "$(col 4)" "$(col 5)" "$(col 6)" "$(col 7)" "$(col 8)"
  done
  ratio() { # OTHER MODE: OTHER/lamina medians of wall and CPU
    ow=$(awk -v c="$corpus" -v p="$1-$2" '$1 == c && $2 == p { print $4 }' "$RES/all" | median)
    oc=$(awk -v c="$corpus" -v p="$1-$2" '$1 == c && $2 == p { print $5 }' "$RES/all" | median)
    lw=$(awk -v c="$corpus" -v p="lamina-$2" '$1 == c && $2 == p { print $4 }' "$RES/all" | median)
    lc=$(awk -v c="$corpus" -v p="lamina-$2" '$1 == c && $2 == p { print $5 }' "$RES/all" | median)
    printf '  %-6s %s: %s/lamina wall %.2fx, cpu %.2fx\n' "$corpus" "$2" "$1" \
      "$(awk "BEGIN { print $ow / $lw }")" "$(awk "BEGIN { print $oc / $lc }")"
  }
  for mode in warm cold; do
    [ -z "$LINUXKIT" ] || ratio linuxkit "$mode"
    [ -z "$REF_JAR" ] || ratio ref "$mode"
  done
done
echo "load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
