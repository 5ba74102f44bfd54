package io.bulwark.http;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Verifies the identity Bulwark's edge worker ({@code edge/}) vouches for: the caller's subject,
 * API client and scopes, which the edge read from a JWT it verified, in {@code Bulwark-Edge-*}
 * headers with an HMAC-SHA256 over them, the method, the path and query, and the time, under a
 * secret only the edge and the origins hold. A signature is accepted only within {@link #MAX_SKEW}
 * of this server's clock and only for the request it was made for, so the headers cannot be set by
 * a caller, moved to another request or replayed later. Compared in constant time.
 *
 * <p>Signed text: {@code bulwark-edge-v1\n{METHOD}\n{path?query}\n{subject}\n{client}\n{scopes}\n{t}},
 * where subject and client are percent-encoded as sent. Header:
 * {@code Bulwark-Edge-Signature: t=<epoch seconds>,s=<base64url HMAC>}.
 */
public final class EdgeSignature {

    public static final String SUBJECT = "Bulwark-Edge-Subject";
    public static final String CLIENT = "Bulwark-Edge-Client";
    public static final String SCOPES = "Bulwark-Edge-Scopes";
    public static final String SIGNATURE = "Bulwark-Edge-Signature";
    /** Every header the edge sets (a query hop carries them on: they are signed for the same path and query). */
    public static final List<String> HEADERS = List.of(SUBJECT, CLIENT, SCOPES, SIGNATURE);
    /** How far the edge's clock and this server's may differ, and how long a signature may be replayed within. */
    public static final Duration MAX_SKEW = Duration.ofSeconds(30);
    /** The shortest secret accepted: 32 characters. */
    public static final int MIN_SECRET_LENGTH = 32;

    /** A caller the edge authenticated. */
    public record Identity(String subject, String client, Set<String> scopes) {
        public boolean hasScope(String scope) {
            return scopes.contains(scope);
        }
    }

    /** The verdict on a request: no edge headers at all, a verified identity, or headers that do not verify. */
    public sealed interface Verdict permits Absent, Verified, Invalid {}

    public record Absent() implements Verdict {}

    public record Verified(Identity identity) implements Verdict {}

    public record Invalid(String reason) implements Verdict {}

    private final SecretKeySpec key;
    private final Clock clock;

    public EdgeSignature(String secret, Clock clock) {
        if (secret == null || secret.length() < MIN_SECRET_LENGTH) {
            throw new IllegalArgumentException("The edge secret needs at least " + MIN_SECRET_LENGTH + " characters");
        }
        this.key = new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
        this.clock = clock;
    }

    /** The verdict on a request to this server. */
    public Verdict verify(HttpExchange exchange) {
        return verify(exchange.getRequestMethod(), HttpIo.rawPathAndQuery(exchange), exchange.getRequestHeaders());
    }

    /** The verdict on {@code method pathAndQuery} with these request headers. */
    public Verdict verify(String method, String pathAndQuery, Headers headers) {
        String signature = headers.getFirst(SIGNATURE);
        String subject = headers.getFirst(SUBJECT);
        String client = headers.getFirst(CLIENT);
        String scopes = headers.getFirst(SCOPES);
        if (signature == null && subject == null && client == null && scopes == null) {
            return new Absent();
        }
        if (signature == null || subject == null || client == null || scopes == null) {
            return new Invalid("the edge identity headers are incomplete");
        }
        int comma = signature.indexOf(",s=");
        if (!signature.startsWith("t=") || comma < 0) {
            return new Invalid(SIGNATURE + " must be t=<epoch seconds>,s=<signature>");
        }
        long t;
        try {
            t = Long.parseLong(signature.substring(2, comma));
        } catch (NumberFormatException e) {
            return new Invalid(SIGNATURE + " has no valid time");
        }
        if (Math.abs(clock.instant().getEpochSecond() - t) > MAX_SKEW.toSeconds()) {
            return new Invalid("the edge signature is outside the allowed " + MAX_SKEW.toSeconds() + " s window");
        }
        byte[] expected = mac(method, pathAndQuery, subject, client, scopes, t);
        if (!MessageDigest.isEqual(expected, signature.substring(comma + 3).getBytes(StandardCharsets.US_ASCII))) {
            return new Invalid("the edge signature does not match this request");
        }
        Set<String> scopeSet =
                Arrays.stream(scopes.split(" ")).filter(s -> !s.isEmpty()).collect(Collectors.toUnmodifiableSet());
        return new Verified(new Identity(decode(subject), decode(client), scopeSet));
    }

    /** Signs like the edge does; for this project's tests and tools that stand in for the edge. */
    public void sign(Headers headers, String method, String pathAndQuery, Identity identity) {
        String subject = encode(identity.subject());
        String client = encode(identity.client());
        String scopes = String.join(" ", identity.scopes().stream().sorted().toList());
        long t = clock.instant().getEpochSecond();
        headers.set(SUBJECT, subject);
        headers.set(CLIENT, client);
        headers.set(SCOPES, scopes);
        headers.set(
                SIGNATURE,
                "t=" + t + ",s="
                        + new String(mac(method, pathAndQuery, subject, client, scopes, t), StandardCharsets.US_ASCII));
    }

    /** The base64url HMAC of the signed text (see the class comment); subject and client as sent, encoded. */
    private byte[] mac(String method, String pathAndQuery, String subject, String client, String scopes, long t) {
        String text =
                String.join("\n", "bulwark-edge-v1", method, pathAndQuery, subject, client, scopes, Long.toString(t));
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return Base64.getUrlEncoder().withoutPadding().encode(mac.doFinal(text.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is required by every Java runtime", e);
        }
    }

    private static String decode(String value) {
        return URLDecoder.decode(value.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    /** Percent-encoding as JavaScript's encodeURIComponent does it. */
    static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8)
                .replace("+", "%20")
                .replace("%21", "!")
                .replace("%27", "'")
                .replace("%28", "(")
                .replace("%29", ")")
                .replace("%7E", "~");
    }
}
