#!/usr/bin/env bash
# How much faster would a native deflate be than the JDK's zlib on the blocks Lamina compresses?
# Deflates one cpio stream (the large corpus's initrd, gunzipped) as ParallelGzipOutputStream does
# (128 KiB blocks, previous 32 KiB as dictionary, sync flush; random-looking blocks stored and not
# timed) on one thread, with
#   java        java.util.zip.Deflater (JavaBlocks.java): Lamina's path
#   zlib        the system zlib through blockbench.c (the same library the JDK calls: its output
#               at level 4 is checked to be Lamina's initrd byte for byte)
#   zng         zlib-ng 2.3.3's native API (C sources from the crate libz-ng-sys 1.1.33)
#   libdeflate  libdeflate 1.26 (crate libdeflate-sys 1.26.1): no dictionary, one gzip member per
#               block
# in interleaved rounds, and reports the best CPU time of each and the bytes written. Then, when
# aarch64-linux-gnu-gcc and qemu-aarch64(-static) are there, builds the same zlib-ng and
# libdeflate for arm64 and checks that their bytes equal the amd64 ones.
#
#   INITRD=path/to/initrd.img bench/deflate/run.sh [ROUNDS]     (default 3; WORK moves the work dir)
#
# The C sources come from crates.io through `cargo fetch` (the crates bundle them); nothing here is
# shipped.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
WORK=${WORK:-/tmp/lamina-bench-deflate}
ROUNDS=${1:-3}
: "${INITRD:?INITRD=path to a gzip initrd written by Lamina (e.g. the large corpus of bench/assemble/peers.sh)}"
ENGINES=${ENGINES:-"java:4 zlib:4 zlib:6 zng:2 zng:3 zng:4 zng:6 libdeflate:1 libdeflate:3 libdeflate:4 libdeflate:6"}
mkdir -p "$WORK"

# Tools, as bench/assemble/run.sh installs its own: a C toolchain, cmake, and the arm64 cross
# compiler for the byte comparison (qemu-user-static comes from hack/install-deps.sh).
need=()
for t in cmake:cmake ninja:ninja-build gcc:gcc aarch64-linux-gnu-gcc:gcc-aarch64-linux-gnu; do
  command -v "${t%%:*}" >/dev/null || need+=("${t#*:}")
done
[ -f /usr/include/zlib.h ] || need+=(zlib1g-dev)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}"
fi
command -v cargo >/dev/null || {
  echo "deflate bench: cargo is needed to fetch the C sources from crates.io" >&2
  exit 1
}

# Sources, pinned.
if [ ! -d "$WORK/src/zlib-ng" ]; then
  mkdir -p "$WORK/fetch/src"
  cat >"$WORK/fetch/Cargo.toml" <<'EOF'
[package]
name = "fetch"
version = "0.0.0"
edition = "2021"
[dependencies]
libz-ng-sys = "=1.1.33"
libdeflate-sys = "=1.26.1"
EOF
  echo 'fn main() {}' >"$WORK/fetch/src/main.rs"
  (cd "$WORK/fetch" && cargo fetch -q)
  reg=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/ | head -1)
  mkdir -p "$WORK/src"
  cp -r "$reg/libz-ng-sys-1.1.33/src/zlib-ng" "$WORK/src/zlib-ng"
  cp -r "$reg/libdeflate-sys-1.26.1/libdeflate" "$WORK/src/libdeflate"
fi

build() { # ARCH [cmake args...]
  local arch=$1
  shift
  local b=$WORK/build/$arch
  mkdir -p "$b"
  if [ ! -f "$b/zng/libz-ng.a" ]; then
    cmake -S "$WORK/src/zlib-ng" -B "$b/zng" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" \
      -DBUILD_SHARED_LIBS=OFF -DZLIB_COMPAT=OFF -DZLIB_ENABLE_TESTS=OFF -DZLIBNG_ENABLE_TESTS=OFF \
      -DWITH_GTEST=OFF >"$b.zng.log"
    ninja -C "$b/zng" >>"$b.zng.log"
  fi
  if [ ! -f "$b/ld/libdeflate.a" ]; then
    cmake -S "$WORK/src/libdeflate" -B "$b/ld" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" \
      -DLIBDEFLATE_BUILD_SHARED_LIB=OFF -DLIBDEFLATE_BUILD_GZIP=OFF >"$b.ld.log"
    ninja -C "$b/ld" >>"$b.ld.log"
  fi
}

harness() { # ARCH CC [extra flags]
  local arch=$1 cc=$2
  shift 2
  local b=$WORK/build/$arch
  # zlib-ng's header clashes with zlib.h, so one binary per family.
  "$cc" -O2 -o "$b/bb-zlib" "$HERE/blockbench.c" -DWITH_LIBDEFLATE -I"$WORK/src/libdeflate" \
    "$b/ld/libdeflate.a" -lz -lm "$@"
  "$cc" -O2 -o "$b/bb-zng" "$HERE/blockbench.c" -DWITH_ZNG -I"$b/zng" "$b/zng/libz-ng.a" -lm "$@"
}

build amd64
harness amd64 gcc
CPIO=$WORK/input.cpio
gzip -dc "$INITRD" >"$CPIO"

# The harness is Lamina's path: zlib at level 4 must write the initrd itself.
STORED_LIST=$WORK/stored.txt "$WORK/build/amd64/bb-zlib" zlib 4 "$CPIO" "$WORK/zlib-4.gz" 1 >/dev/null
if cmp -s "$WORK/zlib-4.gz" "$INITRD"; then
  echo "check: blockbench zlib level 4 writes the initrd byte for byte"
else
  echo "check: blockbench zlib level 4 does NOT write the initrd (another zlib than the JDK's?)"
fi

echo "input: $(stat -c %s "$CPIO") bytes of cpio; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
RES=$WORK/results
: >"$RES"
for round in $(seq 1 "$ROUNDS"); do
  for e in $ENGINES; do
    engine=${e%:*} level=${e#*:}
    if [ "$engine" = java ]; then
      line=$(java "$HERE/JavaBlocks.java" "$level" "$CPIO" "$WORK/stored.txt" 1)
      # java LEVEL deflated_bytes N cpu_s S: total bytes are zlib's at the same level
      cpu=$(awk '{ print $6 }' <<<"$line")
      out=$(stat -c %s "$WORK/zlib-$level.gz" 2>/dev/null || echo 0)
    else
      bin=$WORK/build/amd64/bb-zlib
      [ "$engine" = zng ] && bin=$WORK/build/amd64/bb-zng
      read -r _ _ _ _ _ _ out cpu _ <<<"$("$bin" "$engine" "$level" "$CPIO" "$WORK/$engine-$level.gz" 1)"
    fi
    echo "$engine $level $round $cpu $out $(cut -d' ' -f1 /proc/loadavg)" | tee -a "$RES"
  done
done

echo
echo "best of $ROUNDS rounds (CPU s of the deflate calls, one thread), against java level 4:"
ref=$(awk '$1 == "java" && $2 == 4 { print $4 }' "$RES" | sort -n | head -1)
refsize=$(stat -c %s "$WORK/zlib-4.gz")
printf '  %-11s %5s %8s %7s %13s %8s\n' engine level "cpu s" "x java4" "bytes" "size"
for e in $ENGINES; do
  engine=${e%:*} level=${e#*:}
  best=$(awk -v e="$engine" -v l="$level" '$1 == e && $2 == l { print $4 }' "$RES" | sort -n | head -1)
  out=$(awk -v e="$engine" -v l="$level" '$1 == e && $2 == l { print $5 }' "$RES" | head -1)
  printf '  %-11s %5s %8.3f %7.2f %13d %+7.2f%%\n' "$engine" "$level" "$best" \
    "$(awk "BEGIN { print $best / $ref }")" "$out" "$(awk "BEGIN { print ($out / $refsize - 1) * 100 }")"
done
for f in "$WORK"/zng-*.gz "$WORK"/libdeflate-*.gz; do
  gzip -dc "$f" | cmp -s - "$CPIO" || echo "ROUND TRIP FAILED: $f"
done

# arm64: the same sources cross-built, run under qemu-user; the bytes must equal amd64's.
QEMU=$(command -v qemu-aarch64-static || command -v qemu-aarch64 || true)
if ! command -v aarch64-linux-gnu-gcc >/dev/null || [ -z "$QEMU" ]; then
  echo "arm64: skipped (needs gcc-aarch64-linux-gnu and qemu-user-static)"
  exit 0
fi
build arm64 -DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR=aarch64 \
  -DCMAKE_C_COMPILER=aarch64-linux-gnu-gcc
# zlib for the arm64 harness: only its crc32 and the zlib engine (not compared) need it.
if [ ! -f "$WORK/build/arm64/zlib/libz.a" ]; then
  zsrc=$WORK/src/zlib-ng
  cmake -S "$zsrc" -B "$WORK/build/arm64/zlib" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR=aarch64 -DCMAKE_C_COMPILER=aarch64-linux-gnu-gcc \
    -DBUILD_SHARED_LIBS=OFF -DZLIB_COMPAT=ON -DZLIB_ENABLE_TESTS=OFF -DZLIBNG_ENABLE_TESTS=OFF \
    -DWITH_GTEST=OFF >"$WORK/build/arm64.zlib.log"
  ninja -C "$WORK/build/arm64/zlib" >>"$WORK/build/arm64.zlib.log"
fi
b=$WORK/build/arm64
aarch64-linux-gnu-gcc -O2 -static -o "$b/bb-zng" "$HERE/blockbench.c" -DWITH_ZNG -I"$b/zng" \
  "$b/zng/libz-ng.a" -lm
aarch64-linux-gnu-gcc -O2 -static -o "$b/bb-zlib" "$HERE/blockbench.c" -DWITH_LIBDEFLATE \
  -I"$b/zlib" -I"$WORK/src/libdeflate" "$b/ld/libdeflate.a" "$b/zlib/libz.a" -lm
for e in zng:2 zng:3 zng:4 zng:6 libdeflate:1 libdeflate:3 libdeflate:4 libdeflate:6; do
  engine=${e%:*} level=${e#*:}
  bin=$b/bb-zlib
  [ "$engine" = zng ] && bin=$b/bb-zng
  "$QEMU" "$bin" "$engine" "$level" "$CPIO" "$WORK/arm64-$engine-$level.gz" 1 >/dev/null
  if cmp -s "$WORK/arm64-$engine-$level.gz" "$WORK/$engine-$level.gz"; then
    echo "arm64: $engine level $level writes the same bytes as amd64"
  else
    echo "arm64: $engine level $level writes OTHER bytes than amd64"
  fi
done
