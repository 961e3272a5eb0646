package dev.lamina.reconcile;

import dev.lamina.oci.DockerConfig;
import dev.lamina.oci.OciClient;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Base64;
import java.util.Set;

/** Makes registry clients, with the credentials of a dockerconfigjson Secret when one is named. */
final class Registries {
  private final KubernetesClient client;
  private final OciClient anonymous;

  Registries(KubernetesClient client, Set<String> insecure) {
    this(client, insecure, dev.lamina.oci.RegistryTimeouts.DEFAULTS);
  }

  Registries(
      KubernetesClient client, Set<String> insecure, dev.lamina.oci.RegistryTimeouts timeouts) {
    this.client = client;
    try {
      // Few attempts inside a reconcile: the reconciler's own retry backs off between reconciles.
      this.anonymous =
          OciClient.builder()
              .insecureHosts(insecure)
              .retries(2, java.time.Duration.ofMillis(200))
              .timeouts(timeouts)
              .build();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /**
   * A client authenticated with the Secret {@code secretName} in {@code namespace}, or an anonymous
   * one when no Secret is named. Secrets are read when needed, not watched: a registry call is
   * rare.
   */
  OciClient client(String namespace, String secretName) throws java.io.IOException {
    if (secretName == null || secretName.isEmpty()) {
      return anonymous;
    }
    Secret secret = client.secrets().inNamespace(namespace).withName(secretName).get();
    if (secret == null
        || secret.getData() == null
        || !secret.getData().containsKey(".dockerconfigjson")) {
      throw new java.io.IOException(
          "Secret " + secretName + " does not exist or holds no .dockerconfigjson key");
    }
    byte[] json = Base64.getDecoder().decode(secret.getData().get(".dockerconfigjson"));
    return anonymous.withCredentials(
        DockerConfig.parse(json, "Secret " + namespace + "/" + secretName));
  }
}
