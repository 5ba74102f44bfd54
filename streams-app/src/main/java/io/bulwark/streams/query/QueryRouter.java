package io.bulwark.streams.query;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.processor.StreamPartitioner;
import org.apache.kafka.streams.state.HostInfo;

/**
 * Finds who can answer a read and asks them: the partition's active instance first (this one, or
 * one forwarding hop), then its standbys (the answer is marked stale). While nobody can answer —
 * a rebalance, a restoring store, a dead owner not yet replaced — it retries with backoff until
 * {@code retryTimeout} and then gives up with 503; it never waits longer.
 *
 * <p>List reads find the active instance of every partition, ask each instance once for its
 * partitions, fall back to standbys per partition, and merge the entries by key.
 */
final class QueryRouter {

    private static final Serializer<String> KEYS = new StringSerializer();
    private static final long FIRST_BACKOFF_MS = 25;
    private static final long MAX_BACKOFF_MS = 400;

    /** Where a read went, for metrics. */
    enum Route {
        LOCAL,
        FORWARDED,
        STANDBY,
        UNAVAILABLE
    }

    record Routed(Answer answer, Route route) {}

    private final KafkaStreams streams;
    private final HostInfo self;
    private final String selfName;
    private final LocalStores local;
    private final Forwarder forwarder;
    private final Duration retryTimeout;

    QueryRouter(
            KafkaStreams streams, HostInfo self, Duration forwardTimeout, Duration retryTimeout, HopSignature hops) {
        this.streams = streams;
        this.self = self;
        this.selfName = self.host() + ":" + self.port();
        this.local = new LocalStores(streams);
        this.forwarder = new Forwarder(forwardTimeout, selfName, hops);
        this.retryTimeout = retryTimeout;
    }

    String selfName() {
        return selfName;
    }

    /** A read that another instance forwarded here: answered from this instance's partitions only. */
    Answer forwarded(
            QueryEndpoint endpoint, String key, QueryParams params, Set<Integer> partitions, boolean acceptStale)
            throws LocalStores.NotHere {
        LocalStores.Read read = local.read(endpoint, key, params, partitions, acceptStale);
        return new Answer(read.status(), read.body(), read.etag(), read.stale(), List.of(selfName), false, null);
    }

    Routed key(
            QueryEndpoint endpoint,
            String key,
            QueryParams params,
            String rawPathAndQuery,
            Map<String, String> credentials) {
        long deadline = System.nanoTime() + retryTimeout.toNanos();
        long backoff = FIRST_BACKOFF_MS;
        String why = "no instance hosts " + endpoint.store() + " yet";
        while (true) {
            KeyQueryMetadata metadata = metadata(() -> streams.queryMetadataForKey(endpoint.store(), key, KEYS));
            if (metadata != null) {
                Set<Integer> partition = Set.of(metadata.partition());
                Optional<Answer> active = ask(
                        metadata.activeHost(), endpoint, key, params, rawPathAndQuery, partition, false, credentials);
                if (active.isPresent()) {
                    return new Routed(active.get(), active.get().forwarded() ? Route.FORWARDED : Route.LOCAL);
                }
                for (HostInfo standby : metadata.standbyHosts()) {
                    Optional<Answer> stale =
                            ask(standby, endpoint, key, params, rawPathAndQuery, partition, true, credentials);
                    if (stale.isPresent()) {
                        return new Routed(stale.get(), Route.STANDBY);
                    }
                }
                why = "partition " + metadata.partition() + " of " + endpoint.store() + ": owner "
                        + name(metadata.activeHost()) + " and "
                        + metadata.standbyHosts().size()
                        + " standby(s) did not answer";
            }
            if (!pause(deadline, backoff)) {
                return new Routed(Answer.unavailable(why), Route.UNAVAILABLE);
            }
            backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
        }
    }

    Routed all(QueryEndpoint endpoint, QueryParams params, String rawPathAndQuery, Map<String, String> credentials) {
        long deadline = System.nanoTime() + retryTimeout.toNanos();
        long backoff = FIRST_BACKOFF_MS;
        while (true) {
            Map<Integer, KeyQueryMetadata> partitions = partitionMetadata(endpoint.store());
            String why = "no instance hosts " + endpoint.store() + " yet";
            if (partitions != null) {
                Map<String, JsonNode> items = new TreeMap<>();
                boolean[] more = {false};
                Set<String> servedBy = new TreeSet<>();
                boolean stale = false;
                boolean forwarded = false;
                Set<Integer> missing = new TreeSet<>();
                Map<HostInfo, Set<Integer>> byOwner = new LinkedHashMap<>();
                partitions.forEach((p, m) -> byOwner.computeIfAbsent(m.activeHost(), h -> new TreeSet<>())
                        .add(p));
                for (Map.Entry<HostInfo, Set<Integer>> owner : byOwner.entrySet()) {
                    Optional<Answer> answer = ask(
                            owner.getKey(),
                            endpoint,
                            null,
                            params,
                            rawPathAndQuery,
                            owner.getValue(),
                            false,
                            credentials);
                    if (answer.isPresent()) {
                        more[0] |= merge(answer.get(), items, servedBy);
                        forwarded |= answer.get().forwarded();
                    } else {
                        missing.addAll(owner.getValue());
                    }
                }
                for (int p : new ArrayList<>(missing)) {
                    for (HostInfo standby : partitions.get(p).standbyHosts()) {
                        Optional<Answer> answer =
                                ask(standby, endpoint, null, params, rawPathAndQuery, Set.of(p), true, credentials);
                        if (answer.isPresent()) {
                            more[0] |= merge(answer.get(), items, servedBy);
                            forwarded |= answer.get().forwarded();
                            stale = true;
                            missing.remove(p);
                            break;
                        }
                    }
                }
                if (missing.isEmpty()) {
                    LocalStores.Read merged = LocalStores.found(
                            endpoint, LocalStores.listBody(items, params.limit(), more[0]), null, stale);
                    Answer answer = new Answer(
                            200, merged.body(), merged.etag(), stale, List.copyOf(servedBy), forwarded, null);
                    return new Routed(answer, stale ? Route.STANDBY : forwarded ? Route.FORWARDED : Route.LOCAL);
                }
                why = "partitions " + missing + " of " + endpoint.store() + " had no instance to answer";
            }
            if (!pause(deadline, backoff)) {
                return new Routed(Answer.unavailable(why), Route.UNAVAILABLE);
            }
            backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
        }
    }

    /** Adds a page's items; returns whether that page said more entries follow. */
    private static boolean merge(Answer answer, Map<String, JsonNode> items, Set<String> servedBy) {
        JsonNode page = Forwarder.json(answer.body());
        for (JsonNode item : page.path("items")) {
            items.put(item.path("key").asText(), item.path("value"));
        }
        servedBy.addAll(answer.servedBy());
        return page.has("nextCursor");
    }

    private Optional<Answer> ask(
            HostInfo host,
            QueryEndpoint endpoint,
            String key,
            QueryParams params,
            String rawPathAndQuery,
            Set<Integer> partitions,
            boolean acceptStale,
            Map<String, String> credentials) {
        if (host == null || host.equals(HostInfo.unavailable())) {
            return Optional.empty();
        }
        if (host.equals(self)) {
            try {
                return Optional.of(forwarded(endpoint, key, params, partitions, acceptStale));
            } catch (LocalStores.NotHere e) {
                return Optional.empty();
            }
        }
        return forwarder.ask(host, rawPathAndQuery, partitions, acceptStale, credentials);
    }

    /** The owner and standbys of every partition of the store, or null while they are unknown. */
    private Map<Integer, KeyQueryMetadata> partitionMetadata(String store) {
        AtomicInteger count = new AtomicInteger(-1);
        KeyQueryMetadata first = metadata(() -> streams.queryMetadataForKey(store, "", fixed(0, count)));
        if (first == null || count.get() <= 0) {
            return null;
        }
        Map<Integer, KeyQueryMetadata> all = new TreeMap<>();
        all.put(0, first);
        for (int p = 1; p < count.get(); p++) {
            StreamPartitioner<String, Object> partitioner = fixed(p, count);
            KeyQueryMetadata metadata = metadata(() -> streams.queryMetadataForKey(store, "", partitioner));
            if (metadata == null) {
                return null;
            }
            all.put(p, metadata);
        }
        return all;
    }

    private static StreamPartitioner<String, Object> fixed(int partition, AtomicInteger count) {
        return (topic, key, value, partitions) -> {
            count.set(partitions);
            return Optional.of(Set.of(partition));
        };
    }

    private static KeyQueryMetadata metadata(Supplier<KeyQueryMetadata> lookup) {
        try {
            KeyQueryMetadata metadata = lookup.get();
            return metadata == null || metadata.equals(KeyQueryMetadata.NOT_AVAILABLE) ? null : metadata;
        } catch (RuntimeException notRunning) {
            // StreamsNotStartedException, IllegalStateException while not RUNNING/REBALANCING, unknown store
            return null;
        }
    }

    private static boolean pause(long deadline, long backoffMs) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            return false;
        }
        try {
            TimeUnit.NANOSECONDS.sleep(Math.min(left, TimeUnit.MILLISECONDS.toNanos(backoffMs)));
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static String name(HostInfo host) {
        return host == null ? "unknown" : host.host() + ":" + host.port();
    }

    static Set<Integer> parsePartitions(String header) {
        Set<Integer> partitions = new LinkedHashSet<>();
        for (String part : header.split(",")) {
            partitions.add(Integer.parseInt(part.trim()));
        }
        return partitions;
    }
}
