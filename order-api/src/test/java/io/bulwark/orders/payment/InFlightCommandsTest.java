package io.bulwark.orders.payment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The in-flight bookkeeping of the payment worker, without Kafka: calls finish when the test says so. */
class InFlightCommandsTest {

    private static final String TOPIC = "bulwark.payment.commands";
    private static final TopicPartition P0 = new TopicPartition(TOPIC, 0);

    private final ExecutorService calls = Executors.newFixedThreadPool(4);
    private final Map<Long, CountDownLatch> release = new ConcurrentHashMap<>();
    private final List<Long> started = new CopyOnWriteArrayList<>();
    private final InFlightCommands inFlight = new InFlightCommands(this::handle, calls);

    @AfterEach
    void stop() {
        release.values().forEach(CountDownLatch::countDown);
        calls.shutdownNow();
    }

    @Test
    void shouldSendAReplyAsSoonAsItsCallIsDoneButCommitOnlyPastTheDonePrefix() {
        start(0, 0, "o-1");
        start(0, 1, "o-2");
        start(0, 2, "o-3");

        finish(1);
        InFlightCommands.Completed first = awaitReplies(1);
        assertThat(replyOffsets(first)).containsExactly(1L);
        assertThat(first.offsets()).as("offset 0 still runs: nothing to commit").isEmpty();
        assertThat(inFlight.size()).isEqualTo(3);

        finish(0);
        InFlightCommands.Completed second = awaitReplies(1);
        assertThat(replyOffsets(second)).as("1's reply is not sent twice").containsExactly(0L);
        assertThat(second.offsets()).containsExactly(Map.entry(P0, new OffsetAndMetadata(2)));
        assertThat(inFlight.size()).isEqualTo(1);
    }

    @Test
    void shouldRunTheCommandsOfOneOrderOneAfterTheOtherAndOtherOrdersMeanwhile() {
        start(0, 0, "o-1"); // e.g. AuthorizePayment
        start(0, 1, "o-1"); // then VoidPayment of the same order
        start(0, 2, "o-2");

        await().atMost(Duration.ofSeconds(5)).until(() -> started.containsAll(List.of(0L, 2L)));
        assertThat(started).as("the second command of o-1 waits for the first").doesNotContain(1L);

        finish(0);
        await().atMost(Duration.ofSeconds(5)).until(() -> started.contains(1L));
    }

    @Test
    void shouldCountDoneCommandsBehindASlowOneAsHeldByTheirPartitionNotAsRunning() {
        start(0, 0, "o-1"); // slow: at the head of partition 0
        start(0, 1, "o-2");
        start(0, 2, "o-3");
        start(1, 0, "o-4");
        await().atMost(Duration.ofSeconds(5)).until(() -> started.size() == 4);
        assertThat(inFlight.running()).isEqualTo(4);

        finish(1);
        finish(2);
        finish(1_000);
        awaitReplies(3);

        assertThat(inFlight.running()).as("only the slow one still runs").isEqualTo(1);
        assertThat(inFlight.size()).as("the two behind it wait to be committed").isEqualTo(3);
        assertThat(inFlight.holdingAtLeast(3)).containsExactly(P0);
        assertThat(inFlight.holdingAtLeast(4)).isEmpty();

        finish(0);
        awaitReplies(1);
        assertThat(inFlight.running()).isZero();
        assertThat(inFlight.holdingAtLeast(1)).isEmpty();
    }

    @Test
    void shouldForgetARevokedPartitionsCommandsAndCommitNothingForThem() {
        start(0, 0, "o-1");
        start(1, 0, "o-2");
        finish(0);

        inFlight.forget(Set.of(P0));
        await().atMost(Duration.ofSeconds(5)).until(() -> started.size() == 2);

        assertThat(inFlight.partitions()).containsExactly(new TopicPartition(TOPIC, 1));
        assertThat(inFlight.size()).isEqualTo(1);
        assertThat(inFlight.takeCompleted().offsets()).doesNotContainKey(P0);
    }

    @Test
    void shouldWaitBoundedForTheCommandsOfPartitionsBeingDrained() {
        start(0, 0, "o-1");
        long before = System.nanoTime();

        inFlight.awaitDone(
                Set.of(P0), System.nanoTime() + Duration.ofMillis(200).toNanos());

        assertThat(Duration.ofNanos(System.nanoTime() - before)).isGreaterThanOrEqualTo(Duration.ofMillis(150));
        assertThat(inFlight.takeCompleted().isEmpty())
                .as("not done in time: runs again later")
                .isTrue();
    }

    /** Offsets are unique across the partitions these tests use at once, so one latch per offset. */
    private void start(int partition, long offset, String order) {
        long id = partition * 1_000L + offset;
        release.put(id, new CountDownLatch(1));
        inFlight.start(
                new ConsumerRecord<>(TOPIC, partition, offset, order.getBytes(StandardCharsets.UTF_8), new byte[0]));
    }

    private void finish(long offset) {
        release.get(offset).countDown();
    }

    private List<ProducerRecord<byte[], byte[]>> handle(ConsumerRecord<byte[], byte[]> record) {
        long id = record.partition() * 1_000L + record.offset();
        started.add(id);
        try {
            release.get(id).await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return List.of(new ProducerRecord<>(
                "bulwark.payment.events", record.key(), Long.toString(id).getBytes(StandardCharsets.UTF_8)));
    }

    private InFlightCommands.Completed awaitReplies(int count) {
        InFlightCommands.Completed[] taken = new InFlightCommands.Completed[1];
        await().atMost(Duration.ofSeconds(5)).until(() -> {
            taken[0] = inFlight.takeCompleted();
            return taken[0].replies().size() >= count;
        });
        return taken[0];
    }

    private static List<Long> replyOffsets(InFlightCommands.Completed completed) {
        return completed.replies().stream()
                .map(r -> Long.parseLong(new String(r.value(), StandardCharsets.UTF_8)))
                .toList();
    }
}
