package io.bulwark.streams.app;

import io.bulwark.schemas.TopicLeaders;
import io.bulwark.schemas.TopicSpec;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Creates the registry's topics that do not exist yet (existing topics are left as they are) and
 * returns only once every partition of them is served by its leader.
 *
 * <p>Why wait: a broker answers metadata for a new topic before its leader has the partition online.
 * An idempotent producer that sends at once gets NOT_LEADER_OR_FOLLOWER on its first request while a
 * later one is appended, and the first is then rejected OUT_OF_ORDER_SEQUENCE_NUMBER on every retry
 * (KAFKA-15591 / KAFKA-14359, fixed in Kafka 4.5; we run 4.3): the producer spins until
 * {@code delivery.timeout.ms} and loses that batch, or hangs in close. {@link TopicLeaders#await} waits
 * until the leaders serve every partition.
 */
public final class TopicInstaller {

    /** How long {@link #createMissing} waits for the leaders of the topics it created. */
    public static final Duration LEADER_TIMEOUT = Duration.ofSeconds(60);

    private TopicInstaller() {}

    /** Returns the names of the topics it created, once every partition of them has an online leader. */
    public static List<String> createMissing(Admin admin, Collection<TopicSpec<?, ?>> specs, short replicationFactor)
            throws InterruptedException {
        try {
            Set<String> existing = admin.listTopics().names().get();
            List<NewTopic> missing = specs.stream()
                    .filter(spec -> !existing.contains(spec.name()))
                    .map(spec -> spec.newTopic(replicationFactor))
                    .toList();
            if (missing.isEmpty()) {
                return List.of();
            }
            try {
                admin.createTopics(missing).all().get();
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e; // a concurrent creator is fine; anything else is not
                }
            }
            List<String> created = missing.stream().map(NewTopic::name).toList();
            TopicLeaders.await(admin, created, LEADER_TIMEOUT);
            return created;
        } catch (ExecutionException e) {
            throw new IllegalStateException(
                    "Creating topics failed: " + e.getCause().getMessage(), e.getCause());
        }
    }

    /**
     * Checks that every existing topic of {@code specs} has the partition count the registry declares.
     * Keyed inputs are routed by the murmur2 partition of the declared count ({@code KeyedInput}); a topic
     * with another count would leave records on the wrong task.
     *
     * @throws IllegalStateException naming each topic, its count and the declared one
     */
    public static void checkPartitions(Admin admin, Collection<TopicSpec<?, ?>> specs) throws InterruptedException {
        try {
            Set<String> existing = admin.listTopics().names().get();
            List<String> names = specs.stream()
                    .map(TopicSpec::name)
                    .filter(existing::contains)
                    .toList();
            Map<String, TopicDescription> described =
                    admin.describeTopics(names).allTopicNames().get();
            List<String> wrong = specs.stream()
                    .filter(spec -> described.containsKey(spec.name()))
                    .filter(spec -> described.get(spec.name()).partitions().size() != spec.partitions())
                    .map(spec -> spec.name() + " has "
                            + described.get(spec.name()).partitions().size() + " partitions, the registry declares "
                            + spec.partitions())
                    .toList();
            if (!wrong.isEmpty()) {
                throw new IllegalStateException("Topic partition counts differ from the registry (io.bulwark.schemas."
                        + "Topics): " + String.join("; ", wrong) + ". Records are routed to their key's task by the "
                        + "declared count: recreate the topics, or change the registry and redeploy every instance.");
            }
        } catch (ExecutionException e) {
            throw new IllegalStateException(
                    "Cannot describe topics: " + e.getCause().getMessage(), e.getCause());
        }
    }
}
