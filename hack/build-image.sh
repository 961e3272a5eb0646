#!/usr/bin/env bash
# Builds Lamina's operator image for linux/amd64 and linux/arm64 and publishes both under one OCI
# image index, without Docker and without pulling a base image:
#
#   hack/build-image.sh [--push REGISTRY/REPO[:TAG]] [--oci-layout DIR] [--tag TAG]
#                       [--arch amd64,arm64] [--jdk-version DEBIAN-VERSION]
#                       [--insecure-registry HOST:PORT] [--skip-package]
#
# The Java runtime is a jlink image made from Debian's openjdk-17 packages of each architecture,
# with glibc, libstdc++, zlib and the CA certificates from Debian packages too (apt-get download,
# no root needed; hack/install-deps.sh adds the arm64 package lists). jib-core lays out the image
# (runtime, dependency jars, lamina's own jar); Lamina's OCI client pushes it and the index.
# The tag defaults to the project version. Loopback registries are spoken to over plain HTTP.
# Same sources and same Debian package versions give the same digests. The last line of stdout
# is the index reference with its digest (REF@sha256:…), the registry's when --push is given.
set -euo pipefail
cd "$(dirname "$0")/.."

package=1
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --skip-package) package=0; shift ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) args+=("$1"); shift ;;
  esac
done

if [ "$package" = 1 ]; then
  # Compiles the test sources too: the image builder lives there, to keep jib-core out of lamina.jar.
  mvn -B -q -pl operator package -DskipTests >&2
fi
T=operator/target
exec java -cp "$T/test-classes:$T/classes:$(cat "$T/test-classpath.txt")" \
  dev.lamina.image.OperatorImage \
  --app-jar "$T/original-lamina.jar" --lib "$T/image-lib" --work "$T/image-work" \
  ${args[@]+"${args[@]}"}
