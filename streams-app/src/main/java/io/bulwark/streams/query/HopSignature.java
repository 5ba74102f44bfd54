package io.bulwark.streams.query;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Authenticates a hop between instances ({@code Bulwark-Hop}): the forwarding instance signs method,
 * path and query, the partitions it asks for, whether a stale answer is acceptable, and the time, with
 * HMAC-SHA256 under a secret every instance shares; the receiver serves the hop only if the signature
 * matches (constant-time) and the time is within {@link #MAX_SKEW}. A caller that sets the hop headers
 * itself cannot choose partitions or stale copies: its request is refused 401 {@code invalid-hop}.
 *
 * <p>Header: {@code Bulwark-Hop-Signature: t=<epoch seconds>,s=<base64url HMAC>}.
 */
final class HopSignature {

    static final String HEADER = "Bulwark-Hop-Signature";
    static final Duration MAX_SKEW = Duration.ofSeconds(30);

    private final SecretKeySpec key;
    private final Clock clock;

    HopSignature(byte[] secret, Clock clock) {
        if (secret.length < 16) {
            throw new IllegalArgumentException("A hop secret needs at least 16 bytes");
        }
        this.key = new SecretKeySpec(secret, "HmacSHA256");
        this.clock = clock;
    }

    /** The secret: {@code configured} when set, else derived from what every instance shares (see AppConfig). */
    static byte[] secret(String configured, String applicationId, String authKeys) {
        String material = configured != null && !configured.isBlank()
                ? configured
                : "bulwark-hop|" + applicationId + "|" + authKeys;
        try {
            return MessageDigest.getInstance("SHA-256").digest(material.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is required by every Java runtime", e);
        }
    }

    String sign(String method, String pathAndQuery, String partitions, boolean acceptStale) {
        long t = clock.instant().getEpochSecond();
        return "t=" + t + ",s=" + mac(method, pathAndQuery, partitions, acceptStale, t);
    }

    boolean verify(String header, String method, String pathAndQuery, String partitions, boolean acceptStale) {
        if (header == null || !header.startsWith("t=") || !header.contains(",s=")) {
            return false;
        }
        long t;
        try {
            t = Long.parseLong(header.substring(2, header.indexOf(",s=")));
        } catch (NumberFormatException e) {
            return false;
        }
        if (Math.abs(clock.instant().getEpochSecond() - t) > MAX_SKEW.toSeconds()) {
            return false;
        }
        String expected = mac(method, pathAndQuery, partitions, acceptStale, t);
        return MessageDigest.isEqual(
                expected.getBytes(StandardCharsets.US_ASCII),
                header.substring(header.indexOf(",s=") + 3).getBytes(StandardCharsets.US_ASCII));
    }

    private String mac(String method, String pathAndQuery, String partitions, boolean acceptStale, long t) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            byte[] digest =
                    mac.doFinal((method + "\n" + pathAndQuery + "\n" + partitions + "\n" + acceptStale + "\n" + t)
                            .getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is required by every Java runtime", e);
        }
    }
}
