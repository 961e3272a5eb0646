package dev.lamina.oci;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads and writes images in registries and OCI image layouts. Thread-safe; one per process
 * (repositories share its connections and tokens).
 */
public final class OciClient {
  private final RegistryHttp http;

  private OciClient(RegistryHttp http) {
    this.http = http;
  }

  /** A client with default options and the docker config of the environment. */
  public static OciClient create() throws IOException {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A client sharing this one's connections but using other credentials (a pull Secret). */
  public OciClient withCredentials(DockerConfig config) {
    return new OciClient(http.withConfig(config));
  }

  /**
   * A registry repository ({@code host/path}) or layout ({@code oci:DIR}); a tag or digest is
   * ignored.
   */
  public OciRepository repository(String repository) {
    return repository(OciReference.parse(repository));
  }

  public OciRepository repository(OciReference ref) {
    return ref.isLayout() ? new LayoutRepository(ref) : new RegistryRepository(http, ref);
  }

  /**
   * Resolves a reference to an image manifest per platform. Through an index, each platform picks
   * its matching entry ({@link ImageIndex#select}). A reference to a single manifest serves the
   * platform its config declares, or every platform when the config is not an image config (a
   * platform-independent artifact). The tag defaults to {@code latest}.
   *
   * @throws NotFoundException if the reference does not exist
   */
  public ResolvedImage resolve(String reference, List<Platform> platforms) throws IOException {
    OciReference ref = OciReference.parse(reference);
    OciRepository repo = repository(ref);
    String digest = ref.digest();
    if (digest == null) {
      String tag = ref.tag() == null ? "latest" : ref.tag();
      digest =
          repo.resolveTag(tag)
              .orElseThrow(() -> new NotFoundException(ref + " not found: no tag " + tag))
              .digest();
    }
    byte[] bytes = repo.manifestBytes(digest);
    String mediaType = OciJson.mediaTypeOf(OciJson.parse(bytes, "manifest " + ref));
    Map<Platform, Descriptor> manifests = new LinkedHashMap<>();
    Map<Platform, Long> layersSize = new LinkedHashMap<>();
    List<Platform> missing = new ArrayList<>();
    if (MediaTypes.isIndex(mediaType)) {
      ImageIndex index = ImageIndex.parse(bytes);
      for (Platform p : platforms) {
        var chosen = index.select(p);
        if (chosen.isEmpty()) {
          missing.add(p);
          continue;
        }
        ImageManifest m = ImageManifest.parse(repo.manifestBytes(chosen.get().digest()));
        manifests.put(p, chosen.get());
        layersSize.put(p, m.layersSize());
      }
      return result(digest, manifests, layersSize, missing);
    }
    if (!MediaTypes.isManifest(mediaType)) {
      throw new OciException(ref + " is a " + mediaType + ", not an image manifest or index");
    }
    ImageManifest m = ImageManifest.parse(bytes);
    Platform declared = configPlatform(repo, m.config());
    Descriptor d =
        new Descriptor(mediaType, digest, bytes.length, Map.of(), declared, m.artifactType());
    for (Platform p : platforms) {
      if (declared == null || declared.matches(p)) {
        manifests.put(p, d);
        layersSize.put(p, m.layersSize());
      } else {
        missing.add(p);
      }
    }
    return result(null, manifests, layersSize, missing);
  }

  private static ResolvedImage result(
      String indexDigest,
      Map<Platform, Descriptor> manifests,
      Map<Platform, Long> layersSize,
      List<Platform> missing) {
    return new ResolvedImage(
        indexDigest,
        Collections.unmodifiableMap(manifests),
        Collections.unmodifiableMap(layersSize),
        List.copyOf(missing));
  }

  /** The platform an image config declares, or null if the config is not an image config. */
  private static Platform configPlatform(OciRepository repo, Descriptor config) throws IOException {
    if (!MediaTypes.OCI_CONFIG.equals(config.mediaType())
        && !MediaTypes.DOCKER_CONFIG.equals(config.mediaType())) {
      return null;
    }
    if (config.size() > OciRepository.MANIFEST_SIZE_LIMIT) {
      throw new OciException(
          "image config "
              + repo.name()
              + "@"
              + config.digest()
              + " is larger than "
              + OciRepository.MANIFEST_SIZE_LIMIT
              + " bytes");
    }
    byte[] bytes;
    try (InputStream in = repo.openBlob(config)) {
      bytes = in.readAllBytes();
    }
    JsonNode json = OciJson.parse(bytes, "image config " + repo.name() + "@" + config.digest());
    String os = OciJson.text(json, "os");
    String arch = OciJson.text(json, "architecture");
    return os == null || arch == null
        ? null
        : new Platform(os, arch, OciJson.text(json, "variant"));
  }

  /** Options of a client. */
  public static final class Builder {
    private final Set<String> insecureHosts = new TreeSet<>();
    private Path dockerConfig;
    private DockerConfig credentials;
    private int maxAttempts = 5;
    private Duration initialBackoff = Duration.ofMillis(500);
    private RegistryTimeouts timeouts = RegistryTimeouts.DEFAULTS;

    private Builder() {}

    /** Hosts (host or host:port) spoken to over plain HTTP; loopback hosts always are. */
    public Builder insecureHosts(Collection<String> hosts) {
      insecureHosts.addAll(hosts);
      return this;
    }

    /**
     * A docker config file, or a directory with {@code config.json} or {@code .dockerconfigjson}.
     * Without it (and without {@link #credentials}) the environment's config is used.
     */
    public Builder dockerConfig(Path fileOrDir) {
      this.dockerConfig = fileOrDir;
      return this;
    }

    public Builder credentials(DockerConfig config) {
      this.credentials = config;
      return this;
    }

    /** Attempts per operation (at least 1) and the first wait; waits double up to 10 s. */
    public Builder retries(int maxAttempts, Duration initialBackoff) {
      if (maxAttempts < 1) {
        throw new IllegalArgumentException("maxAttempts must be at least 1");
      }
      this.maxAttempts = maxAttempts;
      this.initialBackoff = initialBackoff;
      return this;
    }

    /** Connect, idle and overall limits of each registry request ({@link RegistryTimeouts}). */
    public Builder timeouts(RegistryTimeouts timeouts) {
      this.timeouts = java.util.Objects.requireNonNull(timeouts);
      return this;
    }

    public OciClient build() throws IOException {
      DockerConfig config =
          credentials != null
              ? credentials
              : dockerConfig != null
                  ? DockerConfig.read(dockerConfig)
                  : DockerConfig.fromEnvironment();
      Duration connect = timeouts.connect();
      java.util.function.Supplier<HttpClient> client =
          () ->
              HttpClient.newBuilder()
                  .version(HttpClient.Version.HTTP_1_1)
                  // RegistryHttp follows redirects itself, so credentials never leave their origin.
                  .followRedirects(HttpClient.Redirect.NEVER)
                  .connectTimeout(connect)
                  .build();
      return new OciClient(
          new RegistryHttp(client, insecureHosts, config, maxAttempts, initialBackoff, timeouts));
    }
  }
}
