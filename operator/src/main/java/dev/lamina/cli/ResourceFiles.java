package dev.lamina.cli;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.databind.MappingIterator;
import dev.lamina.api.ImagePolicy;
import dev.lamina.api.Lamina;
import dev.lamina.api.Layer;
import dev.lamina.api.OSImage;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads Lamina objects from multi-document YAML files, as a user would `kubectl apply` them. */
public final class ResourceFiles {
  private static final ObjectMapper YAML =
      JsonMapper.builder(new YAMLFactory())
          .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true)
          .build();

  /** The objects found, in file order; objects of other kinds are skipped. */
  public record Resources(List<Layer> layers, List<OSImage> osImages, List<ImagePolicy> policies) {}

  private ResourceFiles() {}

  public static Resources read(List<Path> files) throws IOException {
    List<Layer> layers = new ArrayList<>();
    List<OSImage> images = new ArrayList<>();
    List<ImagePolicy> policies = new ArrayList<>();
    for (Path file : files) {
      try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8);
          MappingIterator<JsonNode> docs = YAML.readerFor(JsonNode.class).readValues(reader)) {
        int n = 0;
        while (docs.hasNextValue()) {
          JsonNode doc = docs.nextValue();
          n++;
          if (doc == null || doc.isNull() || doc.isEmpty()) {
            continue;
          }
          String apiVersion = doc.path("apiVersion").asText();
          String kind = doc.path("kind").asText();
          if (!apiVersion.equals(Lamina.GROUP + "/" + Lamina.VERSION)) {
            continue;
          }
          String where = file + " document " + n + " (" + kind + ")";
          try {
            switch (kind) {
              case "Layer" -> layers.add(YAML.treeToValue(doc, Layer.class));
              case "OSImage" -> images.add(YAML.treeToValue(doc, OSImage.class));
              case "ImagePolicy" -> policies.add(YAML.treeToValue(doc, ImagePolicy.class));
              default -> throw new IOException("unknown kind " + kind);
            }
          } catch (IOException e) {
            throw new IOException(where + ": " + firstLine(e.getMessage()), e);
          }
        }
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new IOException(file + ": not valid YAML: " + firstLine(e.getOriginalMessage()), e);
      }
    }
    return new Resources(layers, images, policies);
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
