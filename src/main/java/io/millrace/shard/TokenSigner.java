package io.millrace.shard;

import io.millrace.storage.AtomicFile;
import io.millrace.storage.SegmentIo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Makes opaque, tamper-evident tokens (shard iterators, pagination tokens): {@code base64(payload | mac)} where mac is
 * the first 16 bytes of HMAC-SHA256 over the payload with the deployment's secret. A token whose mac does not match
 * is refused, so clients cannot forge positions. Thread-safe.
 */
public final class TokenSigner {

  private static final int MAC_BYTES = 16;

  private final SecretKeySpec key;
  private final ThreadLocal<Mac> macs;

  /**
   * The signer of a deployment: keyed by {@code passphrase} when one is configured (every node of a future cluster
   * sets the same), else by a random key kept in {@code keyFile} so that tokens survive restarts, else (in memory,
   * {@code keyFile} null) by a random key. Blocking: it may read and write {@code keyFile}.
   */
  public static TokenSigner forDeployment(String passphrase, Path keyFile,
                                          SegmentIo segmentIo) throws IOException {
    if (!passphrase.isEmpty()) {
      try {
        return new TokenSigner(MessageDigest.getInstance("SHA-256")
            .digest(passphrase.getBytes(StandardCharsets.UTF_8)));
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("SHA-256 is required by the JDK", e);
      }
    }
    byte[] random = new byte[32];
    new SecureRandom().nextBytes(random);
    if (keyFile == null) {
      return new TokenSigner(random);
    }
    if (Files.exists(keyFile) && Files.size(keyFile) == random.length) {
      return new TokenSigner(Files.readAllBytes(keyFile));
    }
    Files.createDirectories(keyFile.getParent());
    AtomicFile.write(segmentIo, keyFile, random);
    return new TokenSigner(random);
  }

  public TokenSigner(byte[] secret) {
    if (secret.length < 16) {
      throw new IllegalArgumentException("token secret must be at least 16 bytes");
    }
    this.key = new SecretKeySpec(secret.clone(), "HmacSHA256");
    this.macs = ThreadLocal.withInitial(this::newMac);
  }

  private Mac newMac() {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      return mac;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is required by the JDK", e);
    }
  }

  public String sign(byte[] payload) {
    Mac mac = macs.get();
    byte[] tag = mac.doFinal(payload);
    byte[] out = Arrays.copyOf(payload, payload.length + MAC_BYTES);
    System.arraycopy(tag, 0, out, payload.length, MAC_BYTES);
    return Base64.getEncoder().encodeToString(out);
  }

  /** The payload of a token this signer made, or empty if the token is malformed or was altered. */
  public Optional<ByteBuffer> verify(String token) {
    if (token == null || token.isEmpty()) {
      return Optional.empty();
    }
    byte[] raw;
    try {
      raw = Base64.getDecoder().decode(token);
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    // Java's decoder ignores the unused low bits of the last character ("...gg==" and "...gh==" decode alike):
    // accept only the canonical spelling, so that every changed character is refused.
    if (raw.length <= MAC_BYTES || !Base64.getEncoder().encodeToString(raw).equals(token)) {
      return Optional.empty();
    }
    int payloadLength = raw.length - MAC_BYTES;
    Mac mac = macs.get();
    mac.update(raw, 0, payloadLength);
    byte[] expected = Arrays.copyOf(mac.doFinal(), MAC_BYTES);
    byte[] actual = Arrays.copyOfRange(raw, payloadLength, raw.length);
    if (!MessageDigest.isEqual(expected, actual)) {
      return Optional.empty();
    }
    return Optional.of(ByteBuffer.wrap(raw, 0, payloadLength).slice());
  }
}
