package dev.lamina.oci;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A repository in a registry, spoken to with the OCI distribution API. */
final class RegistryRepository implements OciRepository {
  private static final Logger LOG = LoggerFactory.getLogger(RegistryRepository.class);

  private final RegistryHttp http;
  private final OciReference ref;
  private final String pull;
  private final String push;

  RegistryRepository(RegistryHttp http, OciReference ref) {
    this.http = http;
    this.ref = ref;
    this.pull = "repository:" + ref.path() + ":pull";
    this.push = "repository:" + ref.path() + ":pull,push";
  }

  @Override
  public String name() {
    return ref.repository();
  }

  private URI uri(String suffix) {
    return URI.create(http.base(ref.registry()) + "/v2/" + ref.path() + "/" + suffix);
  }

  private static HttpRequest.Builder request(URI uri) {
    return HttpRequest.newBuilder(uri).header("User-Agent", "lamina");
  }

  /** Sends a request for a small document: the plain request deadline. */
  private HttpResponse<InputStream> send(String scope, HttpRequest request, String what)
      throws IOException {
    return http.send(scope, request, http.budget(ref.registry(), what, 0));
  }

  /** Sends a request that moves {@code bytes} of blob content: a deadline in proportion. */
  private HttpResponse<InputStream> send(String scope, HttpRequest request, String what, long bytes)
      throws IOException {
    return http.send(scope, request, http.budget(ref.registry(), what, bytes));
  }

  @Override
  public Optional<Descriptor> resolveTag(String tag) throws IOException {
    String what = name() + ":" + tag;
    return http.retry(
        "resolving " + what,
        () -> {
          HttpRequest head =
              request(uri("manifests/" + tag))
                  .method("HEAD", HttpRequest.BodyPublishers.noBody())
                  .header("Accept", MediaTypes.MANIFEST_ACCEPT)
                  .build();
          HttpResponse<InputStream> r = send(pull, head, "manifest " + what);
          if (r.statusCode() == 404) {
            r.body().close();
            return Optional.empty();
          }
          if (r.statusCode() != 200) {
            throw RegistryHttp.failure(r, "manifest " + what);
          }
          r.body().close();
          Optional<String> digest = r.headers().firstValue("Docker-Content-Digest");
          Optional<String> type =
              r.headers().firstValue("Content-Type").map(t -> t.split(";")[0].strip());
          long size = r.headers().firstValueAsLong("Content-Length").orElse(-1);
          if (digest.isPresent()
              && Digests.isValid(digest.get())
              && type.isPresent()
              && size >= 0) {
            return Optional.of(new Descriptor(type.get(), digest.get(), size));
          }
          // Not every registry answers HEAD with the digest: read the manifest and hash it.
          return Optional.of(fetchManifest(tag, what, false).descriptor());
        });
  }

  @Override
  public Optional<Tagged> readTag(String tag) throws IOException {
    String what = name() + ":" + tag;
    return http.retry(
        "fetching manifest " + what,
        () -> {
          Fetched f = fetchManifest(tag, what, true);
          return f == null ? Optional.empty() : Optional.of(new Tagged(f.descriptor(), f.bytes()));
        });
  }

  @Override
  public byte[] manifestBytes(String digest) throws IOException {
    Digests.require(digest);
    String what = name() + "@" + digest;
    return http.retry(
        "fetching manifest " + what, () -> fetchManifest(digest, what, false).bytes());
  }

  private record Fetched(Descriptor descriptor, byte[] bytes) {}

  /**
   * GETs a manifest by tag or digest; verifies it when fetched by digest.
   *
   * @param missingIsNull whether a 404 returns null rather than failing
   */
  private Fetched fetchManifest(String tagOrDigest, String what, boolean missingIsNull)
      throws IOException {
    HttpRequest get =
        request(uri("manifests/" + tagOrDigest))
            .GET()
            .header("Accept", MediaTypes.MANIFEST_ACCEPT)
            .build();
    HttpResponse<InputStream> r = send(pull, get, "manifest " + what);
    if (r.statusCode() == 404 && missingIsNull) {
      r.body().close();
      return null;
    }
    if (r.statusCode() != 200) {
      throw RegistryHttp.failure(r, "manifest " + what);
    }
    byte[] bytes;
    try (InputStream in = r.body()) {
      bytes = RegistryHttp.readCapped(in, MANIFEST_SIZE_LIMIT, "manifest " + what);
    }
    String digest = Digests.sha256(bytes);
    if (Digests.isValid(tagOrDigest) && !digest.equals(tagOrDigest)) {
      throw new DigestMismatchException(
          "manifest " + what + " has digest " + digest + ", expected " + tagOrDigest);
    }
    String type =
        r.headers().firstValue("Content-Type").map(t -> t.split(";")[0].strip()).orElse(null);
    if (type == null || !(MediaTypes.isManifest(type) || MediaTypes.isIndex(type))) {
      type = OciJson.mediaTypeOf(OciJson.parse(bytes, "manifest " + what));
    }
    return new Fetched(new Descriptor(type, digest, bytes.length), bytes);
  }

  @Override
  public InputStream openBlob(Descriptor d) throws IOException {
    String what = "blob " + name() + "@" + d.digest();
    return http.retry(
        "fetching " + what,
        () -> {
          HttpRequest get = request(uri("blobs/" + d.digest())).GET().build();
          HttpResponse<InputStream> r = send(pull, get, what, d.size());
          if (r.statusCode() != 200) {
            throw RegistryHttp.failure(r, what);
          }
          long length = r.headers().firstValueAsLong("Content-Length").orElse(-1);
          if (length >= 0 && length != d.size()) {
            r.body().close();
            throw new DigestMismatchException(
                what + " is " + length + " bytes, expected " + d.size());
          }
          return new VerifyingInputStream(
              new ConnectionLossInputStream(r.body(), ref.registry(), what, d.size()),
              d.digest(),
              d.size(),
              what);
        });
  }

  @Override
  public boolean hasBlob(String digest) throws IOException {
    Digests.require(digest);
    return http.retry("checking blob " + name() + "@" + digest, () -> headBlob(digest, pull));
  }

  private boolean headBlob(String digest, String scope) throws IOException {
    HttpRequest head =
        request(uri("blobs/" + digest)).method("HEAD", HttpRequest.BodyPublishers.noBody()).build();
    HttpResponse<InputStream> r = send(scope, head, "blob " + name() + "@" + digest);
    if (r.statusCode() == 200) {
      r.body().close();
      return true;
    }
    if (r.statusCode() == 404) {
      r.body().close();
      return false;
    }
    throw RegistryHttp.failure(r, "blob " + name() + "@" + digest);
  }

  @Override
  public void pushBlob(Descriptor d, IoSupplier<InputStream> content, String mountFrom)
      throws IOException {
    String what = "blob " + name() + "@" + d.digest();
    String source = mountSource(mountFrom);
    String scope = source == null ? push : push + " repository:" + source + ":pull";
    http.retry(
        "pushing " + what,
        () -> {
          if (headBlob(d.digest(), scope)) {
            LOG.debug("{} exists, not uploading", what);
            return null;
          }
          URI start =
              source == null
                  ? uri("blobs/uploads/")
                  : uri(
                      "blobs/uploads/?mount="
                          + RegistryHttp.encode(d.digest())
                          + "&from="
                          + RegistryHttp.encode(source));
          HttpResponse<InputStream> r =
              send(
                  scope,
                  request(start).POST(HttpRequest.BodyPublishers.noBody()).build(),
                  "the upload of " + what);
          if (r.statusCode() == 201 && source != null) {
            r.body().close();
            LOG.debug("{} mounted from {}", what, source);
            return null;
          }
          if (r.statusCode() != 202) {
            throw RegistryHttp.failure(r, "starting upload of " + what);
          }
          r.body().close();
          String location =
              r.headers()
                  .firstValue("Location")
                  .orElseThrow(() -> new OciException(name() + " gave no upload location"));
          URI upload = start.resolve(location);
          URI put =
              URI.create(
                  upload
                      + (upload.getRawQuery() == null ? "?" : "&")
                      + "digest="
                      + RegistryHttp.encode(d.digest()));
          // fromPublisher refuses a length of 0: an empty cmdline is an empty blob.
          HttpRequest.BodyPublisher body =
              d.size() == 0
                  ? HttpRequest.BodyPublishers.noBody()
                  : HttpRequest.BodyPublishers.fromPublisher(
                      HttpRequest.BodyPublishers.ofInputStream(() -> open(content, d, what)),
                      d.size());
          r =
              send(
                  scope,
                  request(put).PUT(body).header("Content-Type", MediaTypes.OCTET_STREAM).build(),
                  "the upload of " + what,
                  d.size());
          if (r.statusCode() != 201) {
            throw RegistryHttp.failure(r, "uploading " + what);
          }
          r.body().close();
          return null;
        });
  }

  /** The path to mount from, or null when {@code mountFrom} is not on this registry. */
  private String mountSource(String mountFrom) {
    if (mountFrom == null) {
      return null;
    }
    OciReference from = OciReference.parse(mountFrom);
    if (from.isLayout()
        || !from.registry().equals(ref.registry())
        || from.path().equals(ref.path())) {
      return null;
    }
    return from.path();
  }

  private static InputStream open(IoSupplier<InputStream> content, Descriptor d, String what) {
    try {
      // Checked on the way out, so a wrong size or digest fails here, not as a vague
      // transport error, and the registry never commits the upload.
      return new VerifyingInputStream(content.get(), d.digest(), d.size(), "content of " + what);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public Descriptor pushManifest(byte[] bytes, String mediaType, String tag) throws IOException {
    String digest = Digests.sha256(bytes);
    String reference = tag == null ? digest : OciReference.requireTag(tag);
    String what = "manifest " + name() + (tag == null ? "@" + digest : ":" + tag);
    return http.retry(
        "pushing " + what,
        () -> {
          HttpRequest put =
              request(uri("manifests/" + reference))
                  .PUT(HttpRequest.BodyPublishers.ofByteArray(bytes))
                  .header("Content-Type", mediaType)
                  .build();
          HttpResponse<InputStream> r = send(push, put, what);
          if (r.statusCode() != 201) {
            throw RegistryHttp.failure(r, "pushing " + what);
          }
          r.body().close();
          Optional<String> stored = r.headers().firstValue("Docker-Content-Digest");
          if (stored.isPresent() && !stored.get().equals(digest)) {
            throw new DigestMismatchException(
                name() + " stored " + what + " as " + stored.get() + ", expected " + digest);
          }
          return new Descriptor(mediaType, digest, bytes.length);
        });
  }
}
