package io.bulwark.connectors.relay.internal;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.transforms.Filter;
import org.apache.kafka.connect.transforms.predicates.Predicate;

/**
 * Moves the connector's {@link Filter} transform out of Debezium's embedded engine and into the
 * relay's handler.
 *
 * <p>Why: the embedded engine drops a record that a transform filters out before the handler sees
 * it, so the record is never marked processed and its source offset is never committed. A Kafka
 * Connect worker does commit a filtered record's offset. The outbox connector filters out its own
 * heartbeats, so under the embedded engine they never moved the replication slot: an idle outbox
 * held WAL and reported a stall, while the same definition on a Connect worker did not.
 *
 * <p>How: the engine runs the chain without the filter, and every other transform is given the
 * filter's predicate in reverse (so it leaves alone what the filter would drop). The relay asks
 * {@link #drops} of each record it receives. It marks a dropped record processed without
 * publishing it, so its offset is committed as a Connect worker would commit it.
 *
 * <p>Supported shape, checked at start-up: at most one {@code Filter}, first in the chain, with a
 * predicate; the other transforms have no predicate of their own.
 */
public final class HandlerSideFilter implements AutoCloseable {

    private final Map<String, String> engineConfig;
    private final Predicate<SourceRecord> predicate;
    private final boolean negate;

    private HandlerSideFilter(Map<String, String> engineConfig, Predicate<SourceRecord> predicate, boolean negate) {
        this.engineConfig = Map.copyOf(engineConfig);
        this.predicate = predicate;
        this.negate = negate;
    }

    /**
     * Splits a connector configuration into what the engine runs and what the handler drops.
     *
     * @throws IllegalArgumentException naming the setting when the chain has a shape this cannot keep
     *     equivalent
     */
    public static HandlerSideFilter of(Map<String, String> config) {
        List<String> chain = aliases(config.get("transforms"));
        List<String> filters = chain.stream()
                .filter(alias -> Filter.class.getName().equals(config.get("transforms." + alias + ".type")))
                .toList();
        if (filters.isEmpty()) {
            return new HandlerSideFilter(config, null, false);
        }
        String filter = filters.get(0);
        if (filters.size() > 1 || !chain.get(0).equals(filter)) {
            throw new IllegalArgumentException("Connector setting transforms = " + config.get("transforms")
                    + ": the embedded relay supports one Filter, first in the chain");
        }
        String predicateAlias = config.get("transforms." + filter + ".predicate");
        if (predicateAlias == null || predicateAlias.isBlank()) {
            throw new IllegalArgumentException("Connector setting transforms." + filter
                    + ".predicate is required: a Filter without one drops every record");
        }
        boolean negate = Boolean.parseBoolean(config.getOrDefault("transforms." + filter + ".negate", "false"));

        Map<String, String> engine = new HashMap<>(config);
        engine.keySet().removeIf(key -> key.startsWith("transforms." + filter + "."));
        List<String> rest = chain.subList(1, chain.size());
        engine.put("transforms", String.join(",", rest));
        for (String alias : rest) {
            String own = "transforms." + alias + ".predicate";
            if (config.containsKey(own)) {
                throw new IllegalArgumentException("Connector setting " + own
                        + ": the embedded relay cannot combine it with the Filter's predicate " + predicateAlias);
            }
            engine.put(own, predicateAlias);
            engine.put("transforms." + alias + ".negate", Boolean.toString(!negate));
        }
        return new HandlerSideFilter(engine, predicate(config, predicateAlias), negate);
    }

    /** The configuration the engine runs: the chain without the filter. */
    public Map<String, String> engineConfig() {
        return engineConfig;
    }

    /** Whether the connector's filter drops this record (as received from the engine). */
    public boolean drops(SourceRecord record) {
        return predicate != null && predicate.test(record) != negate;
    }

    @Override
    public void close() {
        if (predicate != null) {
            predicate.close();
        }
    }

    @SuppressWarnings("unchecked")
    private static Predicate<SourceRecord> predicate(Map<String, String> config, String alias) {
        String prefix = "predicates." + alias + ".";
        Predicate<SourceRecord> predicate = ConnectorSettings.instantiate(config, prefix + "type", Predicate.class);
        Map<String, Object> settings = ConnectorSettings.withPrefix(config, prefix);
        settings.remove("type");
        predicate.configure(settings);
        return predicate;
    }

    private static List<String> aliases(String list) {
        if (list == null || list.isBlank()) {
            return List.of();
        }
        return Arrays.stream(list.split(","))
                .map(String::trim)
                .filter(alias -> !alias.isEmpty())
                .toList();
    }
}
