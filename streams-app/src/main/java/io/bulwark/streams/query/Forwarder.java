package io.bulwark.streams.query;

import com.fasterxml.jackson.databind.JsonNode;
import io.bulwark.schemas.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.streams.state.HostInfo;

/**
 * The one hop to another instance: the same path and query, marked as forwarded (the receiver
 * answers from its own partitions and never forwards again), with the caller's credentials and a
 * timeout. Anything but an answer (refused connection, timeout, "not here") is empty: the router
 * then tries a standby or retries.
 */
final class Forwarder {

    static final String HOP = "Bulwark-Hop";
    static final String PARTITIONS = "Bulwark-Partitions";
    static final String ACCEPT_STALE = "Bulwark-Accept-Stale";
    static final String SERVED_BY = "Bulwark-Served-By";
    static final String STALE = "Bulwark-Stale";
    static final String FORWARDED = "Bulwark-Forwarded";

    private final HttpClient client;
    private final Duration timeout;
    private final String self;

    private final HopSignature hops;

    Forwarder(Duration timeout, String self, HopSignature hops) {
        this.timeout = timeout;
        this.self = self;
        this.hops = hops;
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    Optional<Answer> ask(
            HostInfo host,
            String rawPathAndQuery,
            Set<Integer> partitions,
            boolean acceptStale,
            Map<String, String> credentials) {
        String partitionList = partitions.stream().sorted().map(String::valueOf).collect(Collectors.joining(","));
        HttpRequest.Builder request = HttpRequest.newBuilder(
                        URI.create("http://" + host.host() + ":" + host.port() + rawPathAndQuery))
                .timeout(timeout)
                .header(HOP, self)
                .header(HopSignature.HEADER, hops.sign("GET", rawPathAndQuery, partitionList, acceptStale))
                .header(PARTITIONS, partitionList)
                .header(ACCEPT_STALE, String.valueOf(acceptStale))
                .GET();
        credentials.forEach(request::header);
        HttpResponse<byte[]> response;
        try {
            response = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
        int status = response.statusCode();
        if (status != 200 && status != 404) {
            return Optional.empty();
        }
        String etag =
                response.headers().firstValue("ETag").map(Forwarder::unquote).orElse(null);
        boolean stale =
                response.headers().firstValue(STALE).map(Boolean::parseBoolean).orElse(false);
        String servedBy = response.headers().firstValue(SERVED_BY).orElse(host.host() + ":" + host.port());
        byte[] body = status == 200 ? response.body() : new byte[0];
        return Optional.of(new Answer(status, body, etag, stale, List.of(servedBy), true, null));
    }

    static JsonNode json(byte[] body) {
        try {
            return Json.mapper().readTree(body);
        } catch (IOException e) {
            throw new IllegalStateException("Another instance answered with malformed JSON", e);
        }
    }

    private static String unquote(String etag) {
        String value = etag.startsWith("W/") ? etag.substring(2) : etag;
        return value.length() >= 2 && value.startsWith("\"") ? value.substring(1, value.length() - 1) : value;
    }
}
