package dev.lamina.api;

/** A CPU architecture Lamina builds for, named as Kubernetes' kubernetes.io/arch label names it. */
public enum Architecture {
  amd64,
  arm64;

  public String platform() {
    return "linux/" + name();
  }
}
