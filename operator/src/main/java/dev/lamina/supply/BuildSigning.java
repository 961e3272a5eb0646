package dev.lamina.supply;

import dev.lamina.oci.Digests;
import dev.lamina.oci.OciRepository;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Signs a pushed build in cosign's layout: the index and each per-architecture manifest get a
 * signature, and each gets the same signed SLSA provenance as an attestation.
 */
public final class BuildSigning {
  /** Secret keys of {@code spec.output.signing.keySecret}. */
  public static final String PRIVATE_KEY = "key.pem";

  public static final String PUBLIC_KEY = "key.pub";

  private BuildSigning() {}

  /** The key pair of a Secret's data (base64 values, as the API returns them). */
  public static SigningKeys.KeyPair fromSecretData(Map<String, String> data, String secret)
      throws SupplyException {
    String priv = data == null ? null : data.get(PRIVATE_KEY);
    String pub = data == null ? null : data.get(PUBLIC_KEY);
    if (priv == null || pub == null) {
      throw new SupplyException(
          "SigningKeyMissing",
          "Secret "
              + secret
              + " needs keys "
              + PRIVATE_KEY
              + " (PKCS#8 EC private key) and "
              + PUBLIC_KEY
              + " (its public key)");
    }
    return SigningKeys.keyPair(decode(priv, secret), decode(pub, secret), "Secret " + secret);
  }

  private static String decode(String b64, String secret) throws SupplyException {
    try {
      return new String(Base64.getDecoder().decode(b64.trim()), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new SupplyException("InvalidSigningKey", "Secret " + secret + ": value is not base64");
    }
  }

  /** {@code sha256:<hex>} of the public key's DER: which key signed, without the key itself. */
  public static String fingerprint(SigningKeys.KeyPair key) {
    return Digests.sha256(key.publicKey().getEncoded());
  }

  /** Signs the index and manifests of {@code build} and attaches its provenance to each. */
  public static void sign(OciRepository repo, SigningKeys.KeyPair key, Provenance.Build build)
      throws IOException {
    Dsse.Envelope provenance = Dsse.sign(Provenance.statement(build), key);
    List<String> digests = new ArrayList<>(new TreeMap<>(build.manifests()).values());
    digests.add(build.indexDigest());
    for (String digest : digests) {
      CosignArtifacts.sign(repo, build.repository(), digest, key);
      CosignArtifacts.attest(repo, digest, provenance, Provenance.PREDICATE_TYPE);
    }
  }
}
