package io.bulwark.schemas;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.Serde;

/**
 * A topic, declared once: its name, the serdes of its keys and values, its partition count and
 * its cleanup policy. The only place a topic name is written is the {@link Topics} registry.
 *
 * @param retention how long records are kept; empty for compacted topics or the broker default
 */
public record TopicSpec<K, V>(
        String name,
        Serde<K> keySerde,
        Serde<V> valueSerde,
        int partitions,
        CleanupPolicy cleanupPolicy,
        Optional<Duration> retention) {

    private static final Pattern LEGAL_NAME = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

    public TopicSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(keySerde, "keySerde");
        Objects.requireNonNull(valueSerde, "valueSerde");
        Objects.requireNonNull(cleanupPolicy, "cleanupPolicy");
        Objects.requireNonNull(retention, "retention");
        if (!LEGAL_NAME.matcher(name).matches() || name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException(
                    "Topic name '" + name + "' must be 1-249 characters of ASCII letters, digits, '.', '_' and '-'");
        }
        if (partitions < 1) {
            throw new IllegalArgumentException("Topic '" + name + "': partitions = " + partitions + " must be >= 1");
        }
        if (retention.isPresent()
                && (retention.get().isNegative() || retention.get().isZero())) {
            throw new IllegalArgumentException(
                    "Topic '" + name + "': retention = " + retention.get() + " must be positive");
        }
        if (retention.isPresent() && cleanupPolicy == CleanupPolicy.COMPACT) {
            throw new IllegalArgumentException(
                    "Topic '" + name + "': a retention has no effect with cleanup policy COMPACT; use COMPACT_DELETE");
        }
    }

    /** The topic configs that follow from this spec. */
    public Map<String, String> configs() {
        Map<String, String> configs = new HashMap<>();
        configs.put(TopicConfig.CLEANUP_POLICY_CONFIG, cleanupPolicy.config());
        retention.ifPresent(r -> configs.put(TopicConfig.RETENTION_MS_CONFIG, Long.toString(r.toMillis())));
        return Map.copyOf(configs);
    }

    /** The admin request that creates this topic with the given replication factor. */
    public NewTopic newTopic(short replicationFactor) {
        return new NewTopic(name, partitions, replicationFactor).configs(configs());
    }
}
