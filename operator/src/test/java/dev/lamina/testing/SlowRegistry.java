package dev.lamina.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.lamina.oci.Descriptor;
import dev.lamina.oci.Digests;
import dev.lamina.oci.ImageManifest;
import dev.lamina.oci.MediaTypes;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A hostile registry on loopback: it serves one image ({@code lamina/slow}, one layer) and then,
 * depending on its mode, trickles a body one byte at a time or accepts connections and never
 * answers. Tests give the client small timeouts and check that it gives up in bounded time.
 */
public final class SlowRegistry implements AutoCloseable {
  /** How the registry misbehaves. */
  public enum Mode {
    /** Manifests arrive at once; blob bodies one byte per {@code interval}. */
    TRICKLE_BLOBS,
    /** Every body, manifests too, one byte per {@code interval}. */
    TRICKLE_EVERYTHING,
    /** Accepts each connection, reads the request, never answers. */
    SILENT,
    /**
     * Manifests arrive at once; a blob body stops after half its bytes and the whole registry
     * stops, its connections closed, as a registry process that dies mid-pull.
     */
    DIES_MID_BLOB
  }

  public static final String REPOSITORY = "lamina/slow";

  private final Mode mode;
  private final Duration interval;
  private final byte[] layer;
  private final byte[] config = "{}".getBytes(StandardCharsets.UTF_8);
  private final byte[] manifest;
  private final ExecutorService threads = Executors.newCachedThreadPool();
  private HttpServer http;
  private ServerSocket silent;
  private final List<Socket> held = new ArrayList<>();

  private SlowRegistry(Mode mode, Duration interval, byte[] layer) {
    this.mode = mode;
    this.interval = interval;
    this.layer = layer;
    this.manifest =
        ImageManifest.of(
                null,
                new Descriptor(MediaTypes.OCI_EMPTY, Digests.sha256(config), config.length),
                List.of(
                    new Descriptor(
                        "application/vnd.oci.image.layer.v1.tar+gzip",
                        Digests.sha256(layer),
                        layer.length)),
                Map.of())
            .toJson();
  }

  /** Starts a registry serving {@code layer} (a tar+gzip blob) as the only layer of its image. */
  public static SlowRegistry start(Mode mode, Duration interval, byte[] layer) throws IOException {
    SlowRegistry r = new SlowRegistry(mode, interval, layer);
    InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    if (mode == Mode.SILENT) {
      r.silent = new ServerSocket();
      r.silent.bind(any);
      r.threads.submit(r::holdConnections);
    } else {
      r.http = HttpServer.create(any, 0);
      r.http.setExecutor(r.threads);
      r.http.createContext("/v2/", r::answer);
      r.http.start();
    }
    return r;
  }

  /** host:port */
  public String host() {
    int port = http != null ? http.getAddress().getPort() : silent.getLocalPort();
    return "127.0.0.1:" + port;
  }

  public String manifestDigest() {
    return Digests.sha256(manifest);
  }

  public byte[] manifest() {
    return manifest;
  }

  public String layerDigest() {
    return Digests.sha256(layer);
  }

  private void holdConnections() {
    try {
      while (!silent.isClosed()) {
        Socket s = silent.accept();
        synchronized (held) {
          held.add(s);
        }
      }
    } catch (IOException closed) {
      // close() ends the loop
    }
  }

  private void answer(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      String prefix = "/v2/" + REPOSITORY + "/";
      byte[] body;
      String type;
      boolean trickle;
      if (path.equals(prefix + "manifests/" + manifestDigest())) {
        body = manifest;
        type = MediaTypes.OCI_MANIFEST;
        trickle = mode == Mode.TRICKLE_EVERYTHING;
      } else if (path.equals(prefix + "blobs/" + layerDigest())) {
        body = layer;
        type = MediaTypes.OCTET_STREAM;
        trickle = true;
      } else if (path.equals(prefix + "blobs/" + Digests.sha256(config))) {
        body = config;
        type = MediaTypes.OCTET_STREAM;
        trickle = true;
      } else {
        exchange.sendResponseHeaders(404, -1);
        return;
      }
      exchange.getResponseHeaders().set("Content-Type", type);
      exchange.getResponseHeaders().set("Docker-Content-Digest", Digests.sha256(body));
      boolean head = exchange.getRequestMethod().equals("HEAD");
      exchange.sendResponseHeaders(200, head ? -1 : body.length);
      if (head) {
        return;
      }
      OutputStream out = exchange.getResponseBody();
      if (mode == Mode.DIES_MID_BLOB && !path.contains("/manifests/")) {
        out.write(body, 0, body.length / 2);
        out.flush();
        http.stop(0);
        return;
      }
      if (!trickle) {
        out.write(body);
        return;
      }
      for (byte b : body) {
        out.write(b);
        out.flush();
        Thread.sleep(interval.toMillis());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException clientGaveUp) {
      // the point of the exercise
    }
  }

  @Override
  public void close() throws IOException {
    if (http != null) {
      http.stop(0);
    }
    if (silent != null) {
      silent.close();
      synchronized (held) {
        for (Socket s : held) {
          s.close();
        }
      }
    }
    threads.shutdownNow();
  }
}
