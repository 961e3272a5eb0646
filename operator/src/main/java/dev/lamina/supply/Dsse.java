package dev.lamina.supply;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/** Dead Simple Signing Envelopes (DSSE v1), the wrapper of in-toto attestations. */
public final class Dsse {
  public static final String IN_TOTO = "application/vnd.in-toto+json";
  private static final ObjectMapper JSON = new ObjectMapper();

  private Dsse() {}

  /** The pre-authentication encoding that is signed: type and body, each with its length. */
  static byte[] pae(String payloadType, byte[] payload) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] type = payloadType.getBytes(StandardCharsets.UTF_8);
    out.writeBytes(
        ("DSSEv1 " + type.length + " " + payloadType + " " + payload.length + " ")
            .getBytes(StandardCharsets.UTF_8));
    out.writeBytes(payload);
    return out.toByteArray();
  }

  public static Envelope sign(byte[] statement, SigningKeys.KeyPair key) {
    byte[] sig = SigningKeys.sign(key.privateKey(), pae(IN_TOTO, statement));
    return new Envelope(IN_TOTO, statement, List.of(sig));
  }

  /** A DSSE envelope; {@link #toJson} is what cosign stores as an attestation layer. */
  public record Envelope(String payloadType, byte[] payload, List<byte[]> signatures) {
    public boolean verifiedBy(List<PublicKey> keys) {
      byte[] signed = pae(payloadType, payload);
      return signatures.stream()
          .anyMatch(s -> keys.stream().anyMatch(k -> SigningKeys.verify(k, signed, s)));
    }

    public byte[] toJson() {
      ObjectNode root = JSON.createObjectNode();
      root.put("payloadType", payloadType);
      root.put("payload", Base64.getEncoder().encodeToString(payload));
      var sigs = root.putArray("signatures");
      for (byte[] s : signatures) {
        sigs.addObject().put("keyid", "").put("sig", Base64.getEncoder().encodeToString(s));
      }
      try {
        return JSON.writeValueAsBytes(root);
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }

    /** The envelope in {@code json}, or empty when it is not one. */
    public static Optional<Envelope> parse(byte[] json) {
      try {
        JsonNode n = JSON.readTree(json);
        if (n == null || !n.path("payloadType").isTextual() || !n.path("payload").isTextual()) {
          return Optional.empty();
        }
        List<byte[]> sigs = new ArrayList<>();
        for (JsonNode s : n.path("signatures")) {
          sigs.add(Base64.getDecoder().decode(s.path("sig").asText()));
        }
        return Optional.of(
            new Envelope(
                n.get("payloadType").asText(),
                Base64.getDecoder().decode(n.get("payload").asText()),
                sigs));
      } catch (IOException | IllegalArgumentException e) {
        return Optional.empty();
      }
    }
  }
}
