package dev.lamina.reconcile;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lamina.api.Artifact;
import dev.lamina.build.BuildResult;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads what the operator needs from OCI index and manifest JSON documents. */
final class IndexDocuments {
  static final String TITLE = "org.opencontainers.image.title";

  private static final ObjectMapper JSON = new ObjectMapper();

  private IndexDocuments() {}

  /** Manifest digest by architecture, for the linux entries of an index. */
  static Map<String, String> manifestsByArchitecture(byte[] index) throws IOException {
    Map<String, String> result = new LinkedHashMap<>();
    for (JsonNode m : JSON.readTree(index).path("manifests")) {
      JsonNode p = m.path("platform");
      if ("linux".equals(p.path("os").asText())) {
        result.putIfAbsent(p.path("architecture").asText(), m.path("digest").asText());
      }
    }
    return result;
  }

  /** The artifacts of a per-architecture manifest: its layers, named by their title annotation. */
  static List<Artifact> artifacts(byte[] manifest) throws IOException {
    List<Artifact> result = new ArrayList<>();
    for (JsonNode l : JSON.readTree(manifest).path("layers")) {
      result.add(artifact(
          l.path("annotations").path(TITLE).asText(null),
          l.path("mediaType").asText(),
          l.path("digest").asText(),
          l.path("size").asLong()));
    }
    return result;
  }

  static List<Artifact> artifacts(BuildResult result) {
    List<Artifact> list = new ArrayList<>();
    if (result.artifacts() != null) {
      for (BuildResult.ArtifactRef a : result.artifacts()) {
        list.add(artifact(a.name(), a.mediaType(), a.digest(), a.size()));
      }
    }
    return list;
  }

  private static Artifact artifact(String name, String mediaType, String digest, long size) {
    Artifact a = new Artifact();
    a.setName(name);
    a.setMediaType(mediaType);
    a.setDigest(digest);
    a.setSize(size);
    return a;
  }
}
