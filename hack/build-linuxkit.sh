#!/usr/bin/env bash
# Builds the `linuxkit` command from a LinuxKit source tree, with the Go dependencies it vendors,
# for the parity test (LinuxKitParityIT) and bench/assemble/peers.sh. Nothing of LinuxKit is kept
# in this repository: the source comes from a checkout or a git repository of LinuxKit.
#
#   hack/build-linuxkit.sh SOURCE [OUT]
#     SOURCE  a LinuxKit source tree (the directory holding src/cmd/linuxkit), or a git repository
#             of LinuxKit, bare or not: its HEAD is extracted into $WORK (default
#             /tmp/lamina-linuxkit-src, replaced on every run)
#     OUT     where the binary goes (default ./linuxkit-bin/linuxkit)
#
# A snapshot of LinuxKit's repository may lack a few large blobs (a partial clone leaves them out:
# at 3bf33c3a1, aws-sdk-go's service/ec2/api.go and google.golang.org/api's compute/v1 files). Each
# missing file under vendor/ is taken from the module cache (`go mod download` of the module and
# version vendor/modules.txt names) and must hash to the blob id that git records, so the tree
# that is built is byte for byte the one LinuxKit committed. A missing file anywhere else stops
# the script.
#
# `go install` of LinuxKit through the module proxy does not work (its go.mod is in a nested
# module that is not published); building with -mod=vendor uses exactly the dependencies LinuxKit
# ships. The version stamp is what LinuxKit's Makefile puts in (git describe, commit).
set -euo pipefail

SOURCE=${1:?usage: hack/build-linuxkit.sh SOURCE [OUT]}
OUT=${2:-$PWD/linuxkit-bin/linuxkit}
WORK=${WORK:-/tmp/lamina-linuxkit-src}
export GOTOOLCHAIN=${GOTOOLCHAIN:-local}
export GOFLAGS=${GOFLAGS:--buildvcs=false}

command -v go >/dev/null || {
  echo "build-linuxkit: go is missing" >&2
  exit 1
}

GIT_DIR=
if git -C "$SOURCE" rev-parse --git-dir >/dev/null 2>&1; then
  GIT_DIR=$(git -C "$SOURCE" rev-parse --absolute-git-dir)
fi
COMMIT=unknown
VERSION=unknown
if [ -n "$GIT_DIR" ]; then
  COMMIT=$(git --git-dir="$GIT_DIR" rev-parse HEAD)
  VERSION=$(git --git-dir="$GIT_DIR" describe --tags --match='v*' HEAD 2>/dev/null || echo "$COMMIT")
fi

MISSING=()
if [ -n "$GIT_DIR" ] && [ ! -f "$SOURCE/src/cmd/linuxkit/go.mod" ]; then
  # A bare repository (or one without a work tree): extract HEAD, leaving out blobs the object
  # store lacks, and restore them below.
  tree=$(git --git-dir="$GIT_DIR" ls-tree -r HEAD)
  mapfile -t MISSING < <(awk '$2 == "blob" { print $3 }' <<<"$tree" |
    git --git-dir="$GIT_DIR" cat-file --batch-check |
    awk '$2 == "missing" { print $1 }')
  excludes=()
  declare -A PATH_OF
  for blob in "${MISSING[@]}"; do
    path=$(awk -v b="$blob" '$3 == b && !seen { print $4; seen = 1 }' <<<"$tree")
    PATH_OF[$blob]=$path
    excludes+=(":(exclude)$path")
  done
  rm -rf "$WORK"
  mkdir -p "$WORK"
  # git archive still names the left-out blobs on stderr ("invalid object") while it walks the
  # tree; that is expected here, so its stderr is shown only when it fails.
  git --git-dir="$GIT_DIR" archive --format=tar HEAD -- . "${excludes[@]}" 2>"$WORK.archive-log" |
    tar -x -C "$WORK" || {
    cat "$WORK.archive-log" >&2
    exit 1
  }
  rm -f "$WORK.archive-log"
  SRC=$WORK
else
  SRC=$(cd "$SOURCE" && pwd)
fi
CMD=$SRC/src/cmd/linuxkit
[ -f "$CMD/go.mod" ] || {
  echo "build-linuxkit: $SOURCE holds no src/cmd/linuxkit/go.mod: not a LinuxKit tree" >&2
  exit 1
}

# module_of PATH_IN_VENDOR: the "module version" line of vendor/modules.txt whose module path is
# the longest prefix of the file's path.
module_of() {
  awk -v p="$1" '
    /^# / && $3 ~ /^v/ {
      m = $2
      if (index(p, m "/") == 1 && length(m) > length(best)) { best = m; ver = $3 }
    }
    END { if (best != "") print best, ver }' "$CMD/vendor/modules.txt"
}

for blob in "${MISSING[@]}"; do
  path=${PATH_OF[$blob]}
  rel=${path#src/cmd/linuxkit/vendor/}
  if [ "$rel" = "$path" ]; then
    echo "build-linuxkit: $path is missing from the repository and is not a vendored file" >&2
    exit 1
  fi
  read -r mod ver < <(module_of "$rel") || true
  [ -n "${mod:-}" ] || {
    echo "build-linuxkit: no module in vendor/modules.txt holds $rel" >&2
    exit 1
  }
  dir=$(cd "$CMD" && GOFLAGS=-mod=mod go mod download -json "$mod@$ver" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  src_file=$dir/${rel#"$mod"/}
  [ -f "$src_file" ] || {
    echo "build-linuxkit: $mod@$ver has no ${rel#"$mod"/}" >&2
    exit 1
  }
  got=$(git hash-object --no-filters "$src_file")
  [ "$got" = "$blob" ] || {
    echo "build-linuxkit: $src_file hashes to $got, LinuxKit's tree records $blob for $path" >&2
    exit 1
  }
  mkdir -p "$(dirname "$SRC/$path")"
  cp "$src_file" "$SRC/$path"
  chmod u+w "$SRC/$path"
  echo "build-linuxkit: restored $path from $mod@$ver (blob $blob)"
done

mkdir -p "$(dirname "$OUT")"
OUT=$(cd "$(dirname "$OUT")" && pwd)/$(basename "$OUT")
PKG=github.com/linuxkit/linuxkit/src/cmd/linuxkit
(cd "$CMD" && CGO_ENABLED=0 go build -mod=vendor -trimpath \
  -ldflags "-X $PKG/version.GitCommit=$COMMIT -X $PKG/version.Version=$VERSION" \
  -o "$OUT" .)
"$OUT" version
echo "build-linuxkit: $OUT"
