package io.bulwark.devstack;

import com.fasterxml.jackson.databind.JsonNode;
import io.bulwark.schemas.EnvelopeHeaders;
import io.bulwark.schemas.Json;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.ToLongFunction;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/**
 * The steps of each order as {@link OrderTrace} reads them, and the table they make. A step is a topic and the
 * record's event type ({@code eventType} header, or an inventory command's {@code type}). A record names its order
 * by its key (order-keyed topics), its {@code aggregateId} or {@code correlationId} header (events keyed by SKU or
 * customer), or an inventory command's {@code orderId}; it is noted under each of those names, and names that are
 * not orders (SKUs, customers) are never asked for. What it keeps grows with the run (a few steps per order), as
 * the load generator's own maps do. Written by one thread; read after it stopped.
 */
final class OrderSteps {

    /** One step of one order: when its first record became readable, and how many records it had. */
    static final class Seen {
        final long firstNanos;
        int records = 1;

        Seen(long firstNanos) {
            this.firstNanos = firstNanos;
        }
    }

    private final Map<String, Map<String, Seen>> byName = new HashMap<>();

    /** Notes {@code record} as readable at {@code nanos} under every order it names. */
    void note(ConsumerRecord<byte[], byte[]> record, long nanos) {
        String type = text(record.headers().lastHeader(EnvelopeHeaders.EVENT_TYPE));
        Set<String> names = new LinkedHashSet<>();
        if (record.key() != null) {
            names.add(new String(record.key(), StandardCharsets.UTF_8));
        }
        addIfPresent(names, text(record.headers().lastHeader(EnvelopeHeaders.AGGREGATE_ID)));
        addIfPresent(names, text(record.headers().lastHeader(EnvelopeHeaders.CORRELATION_ID)));
        if (type == null && record.value() != null && record.value().length > 0 && record.value()[0] == '{') {
            try {
                JsonNode command = Json.mapper().readTree(record.value());
                type = command.path("type").asText(null);
                addIfPresent(names, command.path("orderId").asText(null));
            } catch (IOException e) {
                // not JSON after all: noted by key only
            }
        }
        String step = record.topic() + (type == null ? "" : " " + type);
        for (String name : names) {
            byName.computeIfAbsent(name, n -> new HashMap<>(8)).merge(step, new Seen(nanos), (was, now) -> {
                was.records++;
                return was;
            });
        }
    }

    private static void addIfPresent(Set<String> names, String name) {
        if (name != null && !name.isEmpty()) {
            names.add(name);
        }
    }

    private static String text(Header header) {
        return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    /**
     * One step across the orders asked for: in how many it came, its time after the 201 (p50, p99, max, in ms),
     * the mean of that time over the slowest 1% of those orders, and in how many orders it had more than one
     * record (a resent command, a repeated reply).
     */
    record Step(
            String name, int orders, double p50Ms, double p99Ms, double maxMs, double slowestMeanMs, int repeated) {}

    /** {@link #steps(Map, Map, Map, Collection)} of what was noted. */
    List<Step> steps(Map<String, Long> acceptedAt, Map<String, Long> endedAt, Collection<String> orders) {
        return steps(byName, acceptedAt, endedAt, orders);
    }

    /**
     * The steps that came in at least half of {@code orders} (ids with a 201 in {@code acceptedAt} and an end in
     * {@code endedAt}), ordered by their median time after the 201, then a last step "{@code end}" for {@code
     * endedAt} itself. The slowest 1% are the orders with the longest 201-to-end times (at least one).
     */
    static List<Step> steps(
            Map<String, Map<String, Seen>> seen,
            Map<String, Long> acceptedAt,
            Map<String, Long> endedAt,
            Collection<String> orders) {
        List<String> traced = orders.stream()
                .filter(id -> acceptedAt.containsKey(id) && endedAt.containsKey(id))
                .toList();
        if (traced.isEmpty()) {
            return List.of();
        }
        Set<String> slowest = new HashSet<>(traced.stream()
                .sorted(Comparator.comparingLong((String id) -> endedAt.get(id) - acceptedAt.get(id))
                        .reversed())
                .limit(Math.max(1, traced.size() / 100))
                .toList());
        Map<String, List<String>> ordersByStep = new HashMap<>();
        for (String id : traced) {
            seen.getOrDefault(id, Map.of())
                    .keySet()
                    .forEach(step -> ordersByStep
                            .computeIfAbsent(step, s -> new ArrayList<>())
                            .add(id));
        }
        List<Step> steps = new ArrayList<>();
        ordersByStep.forEach((step, ids) -> {
            if (2L * ids.size() >= traced.size()) {
                steps.add(step(
                        step,
                        ids,
                        id -> seen.get(id).get(step).firstNanos - acceptedAt.get(id),
                        id -> seen.get(id).get(step).records > 1,
                        slowest));
            }
        });
        steps.sort(Comparator.comparingDouble(Step::p50Ms));
        steps.add(step("end", traced, id -> endedAt.get(id) - acceptedAt.get(id), id -> false, slowest));
        return steps;
    }

    private static Step step(
            String name,
            List<String> ids,
            ToLongFunction<String> afterAccepted,
            Predicate<String> repeated,
            Set<String> slowest) {
        long[] after = ids.stream().mapToLong(afterAccepted).sorted().toArray();
        double slowestMean = ids.stream()
                .filter(slowest::contains)
                .mapToLong(afterAccepted)
                .average()
                .orElse(Double.NaN);
        return new Step(
                name,
                ids.size(),
                LoadGenerator.percentile(after, 50),
                LoadGenerator.percentile(after, 99),
                LoadGenerator.percentile(after, 100),
                slowestMean / 1e6,
                (int) ids.stream().filter(repeated).count());
    }

    /** Prints {@code steps} as a table under {@code title}. */
    static void print(PrintStream out, String title, List<Step> steps) {
        if (steps.isEmpty()) {
            return;
        }
        int width = steps.stream().mapToInt(s -> s.name().length()).max().orElse(4);
        out.printf("  %s%n", title);
        out.printf(
                "    %-" + width + "s  %7s  %7s  %7s  %7s  %10s  %8s%n",
                "step",
                "orders",
                "p50",
                "p99",
                "max",
                "slowest1%",
                "repeated");
        for (Step s : steps) {
            out.printf(
                    "    %-" + width + "s  %7d  %7.0f  %7.0f  %7.0f  %10.0f  %8d%n",
                    s.name(),
                    s.orders(),
                    s.p50Ms(),
                    s.p99Ms(),
                    s.maxMs(),
                    s.slowestMeanMs(),
                    s.repeated());
        }
    }
}
