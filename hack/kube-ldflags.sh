# Sourced by hack/build-control-plane.sh and hack/build-node.sh: the linker flags that stamp
# Kubernetes binaries built from Go modules with their release version (as `make` would from a
# git checkout), so they report v$KUBE_VERSION, and a fixed build date so the bytes don't vary.
kube_ldflags() {
  local version="$1" major minor flags="-s -w" pkg
  major="${version%%.*}"
  minor="$(echo "$version" | cut -d. -f2)"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags="$flags -X $pkg.gitVersion=v${version} -X $pkg.gitMajor=${major} -X $pkg.gitMinor=${minor}"
    flags="$flags -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  echo "$flags"
}
