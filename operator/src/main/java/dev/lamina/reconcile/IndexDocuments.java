package dev.lamina.reconcile;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lamina.api.Artifact;
import dev.lamina.build.BuildResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads and writes the OCI index and manifest JSON documents the operator deals with. */
final class IndexDocuments {
  static final String INDEX_MEDIA_TYPE = "application/vnd.oci.image.index.v1+json";
  static final String MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json";
  static final String TITLE = "org.opencontainers.image.title";

  private static final ObjectMapper JSON = new ObjectMapper();

  /** One architecture's manifest in an index. */
  record Entry(String mediaType, String digest, long size, String architecture) {}

  private IndexDocuments() {}

  /** A deterministic index: entries sorted by architecture, no timestamps, compact JSON. */
  static byte[] index(List<Entry> entries) {
    ObjectNode root = JSON.createObjectNode();
    root.put("schemaVersion", 2);
    root.put("mediaType", INDEX_MEDIA_TYPE);
    ArrayNode manifests = root.putArray("manifests");
    for (Entry e : entries.stream().sorted(Comparator.comparing(Entry::architecture)).toList()) {
      ObjectNode m = manifests.addObject();
      m.put("mediaType", e.mediaType());
      m.put("digest", e.digest());
      m.put("size", e.size());
      ObjectNode platform = m.putObject("platform");
      platform.put("architecture", e.architecture());
      platform.put("os", "linux");
    }
    return root.toString().getBytes(StandardCharsets.UTF_8);
  }

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

  static String mediaType(byte[] manifest) throws IOException {
    return JSON.readTree(manifest).path("mediaType").asText(MANIFEST_MEDIA_TYPE);
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
