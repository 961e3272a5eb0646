package dev.lamina.supply;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * ECDSA P-256 keys in PEM, as cosign reads them: a PKCS#8 private key ({@code BEGIN PRIVATE KEY})
 * and a PKIX public key ({@code BEGIN PUBLIC KEY}, what {@code cosign generate-key-pair} writes to
 * cosign.pub). Signatures are ASN.1 DER over SHA-256, the form cosign writes and checks.
 */
public final class SigningKeys {
  private static final Pattern PEM =
      Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");

  private SigningKeys() {}

  /** A private key and the public key that checks its signatures. */
  public record KeyPair(PrivateKey privateKey, PublicKey publicKey) {}

  public static KeyPair keyPair(String privatePem, String publicPem, String where)
      throws SupplyException {
    KeyPair pair = new KeyPair(privateKey(privatePem, where), publicKey(publicPem, where));
    byte[] probe = "lamina key pair check".getBytes(StandardCharsets.UTF_8);
    if (!verify(pair.publicKey(), probe, sign(pair.privateKey(), probe))) {
      throw new SupplyException(
          "InvalidSigningKey", where + ": the public key does not belong to the private key");
    }
    return pair;
  }

  public static PrivateKey privateKey(String pem, String where) throws SupplyException {
    List<Block> blocks = blocks(pem);
    for (Block b : blocks) {
      if (b.type().equals("PRIVATE KEY")) {
        try {
          return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(b.der()));
        } catch (GeneralSecurityException e) {
          throw new SupplyException(
              "InvalidSigningKey", where + ": not an ECDSA P-256 PKCS#8 private key", e);
        }
      }
    }
    String found = blocks.isEmpty() ? "no PEM block" : "a " + blocks.get(0).type() + " block";
    throw new SupplyException(
        "InvalidSigningKey",
        where
            + ": expected an unencrypted PKCS#8 EC key (BEGIN PRIVATE KEY; `openssl pkcs8 -topk8"
            + " -nocrypt` converts other forms), found "
            + found);
  }

  public static PublicKey publicKey(String pem, String where) throws SupplyException {
    List<PublicKey> keys = publicKeys(pem, where);
    if (keys.size() != 1) {
      throw new SupplyException(
          "InvalidPublicKey", where + ": expected one PUBLIC KEY block, found " + keys.size());
    }
    return keys.get(0);
  }

  /** Every {@code PUBLIC KEY} block of {@code pem}; other blocks are an error. */
  public static List<PublicKey> publicKeys(String pem, String where) throws SupplyException {
    List<PublicKey> keys = new ArrayList<>();
    for (Block b : blocks(pem)) {
      if (!b.type().equals("PUBLIC KEY")) {
        throw new SupplyException(
            "InvalidPublicKey", where + ": expected PUBLIC KEY blocks, found " + b.type());
      }
      try {
        PublicKey key =
            KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(b.der()));
        if (((ECPublicKey) key).getParams().getCurve().getField().getFieldSize() != 256) {
          throw new SupplyException("InvalidPublicKey", where + ": only P-256 keys are supported");
        }
        keys.add(key);
      } catch (GeneralSecurityException e) {
        throw new SupplyException("InvalidPublicKey", where + ": not an ECDSA public key", e);
      }
    }
    return keys;
  }

  public static String publicPem(PublicKey key) {
    String b64 =
        Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
            .encodeToString(key.getEncoded());
    return "-----BEGIN PUBLIC KEY-----\n" + b64 + "\n-----END PUBLIC KEY-----\n";
  }

  public static String privatePem(PrivateKey key) {
    String b64 =
        Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
            .encodeToString(key.getEncoded());
    return "-----BEGIN PRIVATE KEY-----\n" + b64 + "\n-----END PRIVATE KEY-----\n";
  }

  public static byte[] sign(PrivateKey key, byte[] data) {
    try {
      Signature s = Signature.getInstance("SHA256withECDSA");
      s.initSign(key);
      s.update(data);
      return s.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("ECDSA signing failed", e);
    }
  }

  public static boolean verify(PublicKey key, byte[] data, byte[] signature) {
    try {
      Signature s = Signature.getInstance("SHA256withECDSA");
      s.initVerify(key);
      s.update(data);
      return s.verify(signature);
    } catch (GeneralSecurityException e) {
      // A malformed DER signature is a signature that does not verify.
      return false;
    }
  }

  private record Block(String type, byte[] der) {}

  private static List<Block> blocks(String pem) throws SupplyException {
    List<Block> blocks = new ArrayList<>();
    Matcher m = PEM.matcher(pem == null ? "" : pem);
    while (m.find()) {
      try {
        blocks.add(new Block(m.group(1), Base64.getMimeDecoder().decode(m.group(2))));
      } catch (IllegalArgumentException e) {
        throw new SupplyException("InvalidKey", "bad base64 in PEM block " + m.group(1), e);
      }
    }
    return blocks;
  }
}
