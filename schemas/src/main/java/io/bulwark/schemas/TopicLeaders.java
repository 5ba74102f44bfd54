package io.bulwark.schemas;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;

/**
 * Waiting until new topics can safely be produced to. A broker answers metadata for a new topic before
 * the partition leader has the partition online; an idempotent producer that sends at once can have its
 * first request refused NOT_LEADER_OR_FOLLOWER while a later one is appended, and the first is then
 * refused OUT_OF_ORDER_SEQUENCE_NUMBER forever (KAFKA-15591, also filed as KAFKA-14359/14312/19880;
 * fixed in Kafka 4.5, we run 4.3). A ListOffsets answer comes from the leader's log, so once it succeeds
 * for every partition, producing is safe.
 */
public final class TopicLeaders {

    private TopicLeaders() {}

    /**
     * Waits until every partition of {@code topics} answers ListOffsets from its leader.
     *
     * @throws IllegalStateException naming the topics when they are not served within {@code timeout}
     */
    public static void await(Admin admin, Collection<String> topics, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Exception last = null;
        long backoffMs = 10;
        while (true) {
            try {
                Map<TopicPartition, OffsetSpec> partitions = new HashMap<>();
                for (TopicDescription d : admin.describeTopics(topics)
                        .allTopicNames()
                        .get(5, TimeUnit.SECONDS)
                        .values()) {
                    d.partitions()
                            .forEach(p ->
                                    partitions.put(new TopicPartition(d.name(), p.partition()), OffsetSpec.latest()));
                }
                admin.listOffsets(partitions).all().get(5, TimeUnit.SECONDS);
                return;
            } catch (ExecutionException | TimeoutException e) {
                last = e;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(
                        "Topics " + topics + " have no online leader for every partition after " + timeout + ": "
                                + (last == null ? "" : last.getMessage()),
                        last);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(backoffMs));
            backoffMs = Math.min(500, backoffMs * 2);
        }
    }
}
