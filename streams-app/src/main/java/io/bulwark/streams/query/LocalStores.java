package io.bulwark.streams.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bulwark.schemas.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.query.FailureReason;
import org.apache.kafka.streams.query.Query;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.query.StateQueryRequest;
import org.apache.kafka.streams.query.StateQueryResult;
import org.apache.kafka.streams.query.VersionedKeyQuery;
import org.apache.kafka.streams.query.WindowKeyQuery;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.apache.kafka.streams.state.VersionedRecord;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * Reads this instance's partitions of a store: active partitions first; standby copies only when the
 * caller accepts a stale answer (the answer then says so).
 *
 * <p><b>Key-value stores are read with IQv1, the others with IQv2.</b> In Kafka 4.3.1 an IQv2 query
 * of a RocksDB key-value store takes the store's position lock and then the store's monitor, while the
 * stream thread's {@code put} takes them the other way round: a query racing a write deadlocks both
 * threads for good (KAFKA-19629, fixed upstream in August 2026; found here by the dev-stack's load run,
 * whose poller queries orders while they are written — the stream thread stopped committing). IQv1's
 * {@code get} and {@code all} take only the monitor. Versioned and window stores lock only the position,
 * so IQv2 is safe for them (and versioned stores have no IQv1).
 */
final class LocalStores {

    /** The partitions are not (or not yet, or no longer) hosted here: ask elsewhere or retry. */
    static final class NotHere extends Exception {
        NotHere(String message) {
            super(message, null, false, false);
        }
    }

    /** An answer read here: 200 with a body, or 404 when the key has no value. */
    record Read(int status, byte[] body, String etag, boolean stale) {}

    private final KafkaStreams streams;

    LocalStores(KafkaStreams streams) {
        this.streams = streams;
    }

    Read read(QueryEndpoint endpoint, String key, QueryParams params, Set<Integer> partitions, boolean allowStandby)
            throws NotHere {
        try {
            return read(endpoint, key, params, partitions, true, false);
        } catch (NotHere notActive) {
            if (!allowStandby) {
                throw notActive;
            }
            return read(endpoint, key, params, partitions, false, true);
        }
    }

    private Read read(
            QueryEndpoint endpoint,
            String key,
            QueryParams params,
            Set<Integer> partitions,
            boolean requireActive,
            boolean stale)
            throws NotHere {
        return switch (endpoint.shape()) {
            case KEY -> {
                int partition = partitions.iterator().next();
                Object value;
                try {
                    value = unwrap(
                            keyValueStore(endpoint, partition, requireActive).get(key));
                } catch (InvalidStateStoreException e) {
                    throw new NotHere("partition " + partition + " of " + endpoint.store() + ": " + e.getMessage());
                }
                yield value == null
                        ? absent(stale)
                        : found(endpoint, Json.mapper().valueToTree(value), value, stale);
            }
            case VERSIONED_KEY -> {
                VersionedKeyQuery<String, Object> query = VersionedKeyQuery.withKey(key);
                if (params.asOf() != null) {
                    query = query.asOf(params.asOf());
                }
                VersionedRecord<Object> record = single(query(endpoint, query, partitions, requireActive));
                yield record == null
                        ? absent(stale)
                        : found(endpoint, Json.mapper().valueToTree(record.value()), record.value(), stale);
            }
            case WINDOWS -> {
                WindowComposition composition = endpoint.composition();
                Instant first = composition == null ? params.from() : composition.firstPane(params.from());
                Instant last = composition == null ? params.to() : composition.lastPane(params.to());
                WindowKeyQuery<String, Object> query = WindowKeyQuery.withKeyAndWindowStartRange(key, first, last);
                NavigableMap<Long, Object> stored = new TreeMap<>();
                if (!first.isAfter(last)) { // a range narrower than one advance may hold no window start
                    try (WindowStoreIterator<Object> iterator =
                            single(query(endpoint, query, partitions, requireActive))) {
                        iterator.forEachRemaining(window -> stored.put(window.key, unwrap(window.value)));
                    }
                }
                NavigableMap<Long, Object> read =
                        composition == null ? stored : composition.windows(stored, params.from(), params.to());
                ObjectNode body = Json.mapper()
                        .createObjectNode()
                        .put("key", key)
                        .put("from", params.from().toString())
                        .put("to", params.to().toString());
                ArrayNode windows = body.putArray("windows");
                read.forEach((start, value) -> windows.addObject()
                        .put("start", Instant.ofEpochMilli(start).toString())
                        .put(
                                "end",
                                Instant.ofEpochMilli(start)
                                        .plus(endpoint.windowSize())
                                        .toString())
                        .set("value", Json.mapper().valueToTree(value)));
                yield found(endpoint, body, null, stale);
            }
            case ALL -> {
                // A page: each partition's first `limit` keys after the cursor (byte order = string order for
                // these UTF-8 keys); their union holds the overall first `limit`.
                Map<String, JsonNode> items = new TreeMap<>();
                boolean more = false;
                for (int partition : partitions) {
                    try (KeyValueIterator<String, Object> iterator = params.after() == null
                            ? keyValueStore(endpoint, partition, requireActive).all()
                            : keyValueStore(endpoint, partition, requireActive).range(params.after(), null)) {
                        int taken = 0;
                        while (iterator.hasNext() && taken < params.limit()) {
                            KeyValue<String, Object> kv = iterator.next();
                            if (kv.key.equals(params.after())) {
                                continue;
                            }
                            items.put(kv.key, Json.mapper().valueToTree(unwrap(kv.value)));
                            taken++;
                        }
                        more |= iterator.hasNext();
                    } catch (InvalidStateStoreException e) {
                        throw new NotHere("partition " + partition + " of " + endpoint.store() + ": " + e.getMessage());
                    }
                }
                yield found(endpoint, listBody(items, params.limit(), more), null, stale);
            }
        };
    }

    /**
     * The body of a list page: {@code {"count": n, "items": [{"key": k, "value": v}, ...], "nextCursor": k}},
     * the first {@code limit} of {@code items} by key; {@code nextCursor} (the last key, to pass as
     * {@code after}) only when more entries may follow.
     */
    static ObjectNode listBody(Map<String, JsonNode> items, int limit, boolean more) {
        ArrayNode array = Json.mapper().createArrayNode();
        String last = null;
        for (Map.Entry<String, JsonNode> item : items.entrySet()) {
            if (array.size() == limit) {
                more = true;
                break;
            }
            array.addObject().put("key", item.getKey()).set("value", item.getValue());
            last = item.getKey();
        }
        ObjectNode body = Json.mapper().createObjectNode().put("count", array.size());
        body.set("items", array);
        if (more && last != null) {
            body.put("nextCursor", last);
        }
        return body;
    }

    /** One partition of a key-value store through IQv1 (see the class comment for why not IQv2). */
    private ReadOnlyKeyValueStore<String, Object> keyValueStore(
            QueryEndpoint endpoint, int partition, boolean requireActive) throws NotHere {
        StoreQueryParameters<ReadOnlyKeyValueStore<String, Object>> parameters = StoreQueryParameters.fromNameAndType(
                        endpoint.store(), QueryableStoreTypes.<String, Object>keyValueStore())
                .withPartition(partition);
        if (!requireActive) {
            parameters = parameters.enableStaleStores();
        }
        try {
            return streams.store(parameters);
        } catch (InvalidStateStoreException | IllegalStateException e) {
            throw new NotHere(
                    "partition " + partition + " of " + endpoint.store() + " cannot be read here: " + e.getMessage());
        }
    }

    private <R> StateQueryResult<R> query(
            QueryEndpoint endpoint, Query<R> query, Set<Integer> partitions, boolean requireActive) throws NotHere {
        StateQueryRequest<R> request =
                StateQueryRequest.inStore(endpoint.store()).withQuery(query).withPartitions(partitions);
        if (requireActive) {
            request = request.requireActive();
        }
        StateQueryResult<R> result;
        try {
            result = streams.query(request);
        } catch (InvalidStateStoreException | IllegalStateException e) {
            throw new NotHere("the streams client cannot answer now: " + e.getMessage());
        }
        for (int partition : partitions) {
            QueryResult<R> one = result.getPartitionResults().get(partition);
            if (one == null) {
                throw new NotHere("partition " + partition + " of " + endpoint.store() + " is not hosted here");
            }
            if (one.isFailure()) {
                FailureReason reason = one.getFailureReason();
                if (reason == FailureReason.UNKNOWN_QUERY_TYPE || reason == FailureReason.DOES_NOT_EXIST) {
                    throw new IllegalStateException("Endpoint " + endpoint.name() + " does not fit store "
                            + endpoint.store() + ": " + reason + " " + one.getFailureMessage());
                }
                throw new NotHere("partition " + partition + " of " + endpoint.store() + ": " + reason);
            }
        }
        return result;
    }

    /** DSL stores are timestamped; some IQv2 queries hand out the value with its timestamp. */
    private static Object unwrap(Object value) {
        return value instanceof ValueAndTimestamp<?> timestamped ? timestamped.value() : value;
    }

    private static <R> R single(StateQueryResult<R> result) {
        return result.getPartitionResults().values().iterator().next().getResult();
    }

    private static Read absent(boolean stale) {
        return new Read(404, new byte[0], null, stale);
    }

    static Read found(QueryEndpoint endpoint, JsonNode body, Object value, boolean stale) {
        try {
            byte[] bytes = Json.mapper().writeValueAsBytes(body);
            String etag = value != null && endpoint.version() != null
                    ? endpoint.version().apply(value)
                    : hash(bytes);
            return new Read(200, bytes, etag, stale);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String hash(byte[] bytes) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(bytes);
            return Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOf(digest, 12));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
