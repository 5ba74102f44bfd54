package io.bulwark.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.Headers;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Set;
import org.junit.jupiter.api.Test;

class EdgeSignatureTest {

    private static final String SECRET = "test-edge-origin-secret-of-32-characters!";
    private static final Instant SIGNED_AT = Instant.ofEpochSecond(1_795_867_200L);
    private static final EdgeSignature.Identity IDENTITY =
            new EdgeSignature.Identity("ü/ser 1", "shop", Set.of("query:read", "orders:read"));

    private final EdgeSignature edge = new EdgeSignature(SECRET, Clock.fixed(SIGNED_AT, ZoneOffset.UTC));

    /** What the edge sends for {@link #IDENTITY} on {@code GET /orders/o-1}. */
    private Headers signedForAnOrder() {
        Headers signed = new Headers();
        edge.sign(signed, "GET", "/orders/o-1", IDENTITY);
        return signed;
    }

    private static Headers headers(String subject, String client, String scopes, String signature) {
        Headers headers = new Headers();
        headers.set(EdgeSignature.SUBJECT, subject);
        headers.set(EdgeSignature.CLIENT, client);
        headers.set(EdgeSignature.SCOPES, scopes);
        headers.set(EdgeSignature.SIGNATURE, signature);
        return headers;
    }

    @Test
    void verifiesTheHeadersTheEdgeWorkerSigns() {
        // Computed by the worker's algorithm (Node's crypto, encodeURIComponent) for this secret and time.
        Headers fromWorker = headers(
                "%C3%BC%2Fser%201",
                "shop", "orders:read query:read", "t=1795867200,s=yMvKvGnKcebSAvzPQrcUilNZRwdabQEY4WvQa4Rj1rE");

        EdgeSignature.Verdict verdict = edge.verify("GET", "/query/inventory/items/sku-1?asOf=x", fromWorker);

        assertThat(verdict).isEqualTo(new EdgeSignature.Verified(IDENTITY));
    }

    @Test
    void signsAsTheWorkerDoes() {
        Headers signed = new Headers();
        edge.sign(signed, "GET", "/query/inventory/items/sku-1?asOf=x", IDENTITY);

        assertThat(signed.getFirst(EdgeSignature.SUBJECT)).isEqualTo("%C3%BC%2Fser%201");
        assertThat(signed.getFirst(EdgeSignature.SIGNATURE))
                .isEqualTo("t=1795867200,s=yMvKvGnKcebSAvzPQrcUilNZRwdabQEY4WvQa4Rj1rE");
    }

    @Test
    void refusesTheHeadersOnAnotherRequest() {
        Headers signed = signedForAnOrder();

        assertThat(edge.verify("GET", "/orders/o-2", signed)).isInstanceOf(EdgeSignature.Invalid.class);
        assertThat(edge.verify("POST", "/orders/o-1", signed)).isInstanceOf(EdgeSignature.Invalid.class);
        assertThat(edge.verify("GET", "/orders/o-1", signed)).isInstanceOf(EdgeSignature.Verified.class);
    }

    @Test
    void refusesWidenedScopesAndAnotherSubject() {
        Headers signed = signedForAnOrder();
        Headers widened = headers(
                signed.getFirst(EdgeSignature.SUBJECT),
                "shop",
                "orders:read orders:write query:read",
                signed.getFirst(EdgeSignature.SIGNATURE));
        Headers someoneElse = headers(
                "admin", "shop", signed.getFirst(EdgeSignature.SCOPES), signed.getFirst(EdgeSignature.SIGNATURE));

        assertThat(edge.verify("GET", "/orders/o-1", widened)).isInstanceOf(EdgeSignature.Invalid.class);
        assertThat(edge.verify("GET", "/orders/o-1", someoneElse)).isInstanceOf(EdgeSignature.Invalid.class);
    }

    @Test
    void refusesASignatureOutsideTheClockWindow() {
        Headers signed = signedForAnOrder();
        EdgeSignature later = new EdgeSignature(
                SECRET, Clock.fixed(SIGNED_AT.plus(EdgeSignature.MAX_SKEW).plusSeconds(1), ZoneOffset.UTC));
        EdgeSignature justInTime =
                new EdgeSignature(SECRET, Clock.fixed(SIGNED_AT.plus(EdgeSignature.MAX_SKEW), ZoneOffset.UTC));

        assertThat(later.verify("GET", "/orders/o-1", signed)).isInstanceOf(EdgeSignature.Invalid.class);
        assertThat(justInTime.verify("GET", "/orders/o-1", signed)).isInstanceOf(EdgeSignature.Verified.class);
    }

    @Test
    void refusesAnotherSecret() {
        Headers signed = new Headers();
        new EdgeSignature("another-secret-of-at-least-32-characters", Clock.fixed(SIGNED_AT, ZoneOffset.UTC))
                .sign(signed, "GET", "/orders/o-1", IDENTITY);

        assertThat(edge.verify("GET", "/orders/o-1", signed)).isInstanceOf(EdgeSignature.Invalid.class);
    }

    @Test
    void tellsAbsentFromIncompleteAndMalformed() {
        Headers incomplete = new Headers();
        incomplete.set(EdgeSignature.SUBJECT, "someone");

        assertThat(edge.verify("GET", "/", new Headers())).isInstanceOf(EdgeSignature.Absent.class);
        assertThat(edge.verify("GET", "/", incomplete)).isInstanceOf(EdgeSignature.Invalid.class);
        assertThat(edge.verify("GET", "/", headers("a", "b", "c", "t=soon,s=x")))
                .isInstanceOf(EdgeSignature.Invalid.class);
        assertThat(edge.verify("GET", "/", headers("a", "b", "c", "nonsense")))
                .isInstanceOf(EdgeSignature.Invalid.class);
    }

    @Test
    void refusesAShortSecret() {
        assertThatThrownBy(() -> new EdgeSignature("short", Clock.systemUTC()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("32");
    }
}
