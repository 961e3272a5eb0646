package dev.lamina.oci;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A test token server standing in for an external registry auth service (the Docker token
 * protocol): it checks one user's password and issues ES256 JWTs granting the requested scopes,
 * signed by a fresh key whose self-signed certificate the registry trusts through {@code
 * rootcertbundle}. Without credentials it issues tokens that grant nothing.
 */
final class TestTokenServer implements AutoCloseable {
  static final String SERVICE = "lamina-test-registry";
  static final String ISSUER = "lamina-test-token-server";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String user;
  private final String password;
  private final KeyPair key;
  private final X509Certificate certificate;
  private final Path certFile;
  private final HttpServer server;
  private final List<List<String>> scopeRequests = new CopyOnWriteArrayList<>();

  TestTokenServer(String user, String password) throws Exception {
    this.user = user;
    this.password = password;
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    key = generator.generateKeyPair();
    X500Name name = new X500Name("CN=" + ISSUER);
    Instant now = Instant.now();
    certificate =
        new JcaX509CertificateConverter()
            .getCertificate(
                new JcaX509v3CertificateBuilder(
                        name,
                        BigInteger.valueOf(now.getEpochSecond()),
                        Date.from(now.minus(1, ChronoUnit.HOURS)),
                        Date.from(now.plus(1, ChronoUnit.DAYS)),
                        name,
                        key.getPublic())
                    .build(new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate())));
    certFile = Files.createTempFile("lamina-token-", ".pem");
    Files.writeString(
        certFile,
        "-----BEGIN CERTIFICATE-----\n"
            + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(certificate.getEncoded())
            + "\n-----END CERTIFICATE-----\n");
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/token", this::issue);
    server.start();
  }

  String realm() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/token";
  }

  Path rootCertBundle() {
    return certFile;
  }

  /** The scopes of each token request so far. */
  List<List<String>> scopeRequests() {
    return List.copyOf(scopeRequests);
  }

  private void issue(HttpExchange exchange) throws IOException {
    try (exchange) {
      List<String> scopes = new ArrayList<>();
      String query = exchange.getRequestURI().getRawQuery();
      for (String pair : query == null ? new String[0] : query.split("&")) {
        int eq = pair.indexOf('=');
        if (eq > 0 && pair.substring(0, eq).equals("scope")) {
          scopes.add(URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
      }
      scopeRequests.add(scopes);
      String authorization = exchange.getRequestHeaders().getFirst("Authorization");
      boolean granted = false;
      if (authorization != null && authorization.startsWith("Basic ")) {
        String given =
            new String(
                Base64.getDecoder().decode(authorization.substring(6)), StandardCharsets.UTF_8);
        if (!given.equals(user + ":" + password)) {
          respond(exchange, 401, "{\"details\":\"incorrect username or password\"}");
          return;
        }
        granted = true;
      }
      String token = token(granted ? scopes : List.of());
      respond(
          exchange,
          200,
          JSON.writeValueAsString(
              JSON.createObjectNode().put("token", token).put("expires_in", 300)));
    } catch (Exception e) {
      respond(exchange, 500, "{\"details\":\"" + e.getClass().getSimpleName() + "\"}");
    }
  }

  private String token(List<String> scopes) throws Exception {
    ObjectNode header = JSON.createObjectNode().put("typ", "JWT").put("alg", "ES256");
    header.putArray("x5c").add(Base64.getEncoder().encodeToString(certificate.getEncoded()));
    long now = Instant.now().getEpochSecond();
    ObjectNode claims =
        JSON.createObjectNode()
            .put("iss", ISSUER)
            .put("sub", user)
            .put("aud", SERVICE)
            .put("exp", now + 300)
            .put("nbf", now - 60)
            .put("iat", now)
            .put("jti", UUID.randomUUID().toString());
    ArrayNode access = claims.putArray("access");
    for (String scope : scopes) {
      String[] parts = scope.split(":");
      if (parts.length == 3) {
        ObjectNode entry = access.addObject().put("type", parts[0]).put("name", parts[1]);
        ArrayNode actions = entry.putArray("actions");
        for (String action : parts[2].split(",")) {
          actions.add(action);
        }
      }
    }
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    String signingInput =
        b64.encodeToString(JSON.writeValueAsBytes(header))
            + "."
            + b64.encodeToString(JSON.writeValueAsBytes(claims));
    // JWS wants the raw r||s form, not DER.
    Signature signer = Signature.getInstance("SHA256withECDSAinP1363Format");
    signer.initSign(key.getPrivate());
    signer.update(signingInput.getBytes(StandardCharsets.US_ASCII));
    return signingInput + "." + b64.encodeToString(signer.sign());
  }

  private static void respond(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() throws IOException {
    server.stop(0);
    Files.deleteIfExists(certFile);
  }
}
