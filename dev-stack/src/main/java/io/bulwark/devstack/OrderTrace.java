package io.bulwark.devstack;

import io.bulwark.schemas.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Where an order's time goes between its 201 and its outcome, step by step. A {@code read_committed} reader of
 * every topic an order crosses (the {@code bulwark.*} topics and the streams app's repartition topics) notes, per
 * order, when each step's first record became readable: its sender's transaction committed and this reader
 * fetched it, at most {@link #FETCH_WAIT} later ({@link OrderSteps} keeps and tabulates what it notes).
 *
 * <p>The reader's clock is the load generator's ({@link System#nanoTime()}), so a step's time "after the 201" is
 * comparable across steps; a record can become readable before its order's 201 reaches the client (negative).
 * It costs one consumer fetching every traced partition, which is why it is a {@code --load-trace} option.
 */
final class OrderTrace implements AutoCloseable {

    /** The longest a readable record waits for this reader to fetch it: the resolution of its times. */
    static final Duration FETCH_WAIT = Duration.ofMillis(100);

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final OrderSteps steps = new OrderSteps();
    private final Thread thread;
    private volatile boolean running = true;

    private OrderTrace(KafkaConsumer<byte[], byte[]> consumer) {
        this.consumer = consumer;
        this.thread = new Thread(this::run, "load-order-trace");
    }

    /** Starts reading every traced topic from its end. */
    static OrderTrace start(String bootstrapServers) {
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrapServers,
                        ConsumerConfig.GROUP_ID_CONFIG,
                        "order-trace-" + UUID.randomUUID(),
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                        "read_committed",
                        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                        false,
                        // One fetch per FETCH_WAIT at most: a fetch answered as soon as any of ~100 partitions has
                        // a record kept broker and reader so busy that a 150/s run fell behind.
                        ConsumerConfig.FETCH_MIN_BYTES_CONFIG,
                        1 << 20,
                        ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG,
                        (int) FETCH_WAIT.toMillis()),
                new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
        List<TopicPartition> partitions = new ArrayList<>();
        for (Map.Entry<String, List<PartitionInfo>> topic :
                consumer.listTopics(Duration.ofSeconds(30)).entrySet()) {
            if (traced(topic.getKey())) {
                topic.getValue().forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
            }
        }
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position);
        OrderTrace trace = new OrderTrace(consumer);
        trace.thread.start();
        return trace;
    }

    /** The topics an order crosses: Bulwark's own (not the dead letters or the relay's offsets) and repartitions. */
    static boolean traced(String topic) {
        return (topic.startsWith("bulwark.") || topic.endsWith("-repartition"))
                && !topic.equals(Topics.DEAD_LETTERS.name())
                && !topic.equals(Topics.OUTBOX_RELAY_OFFSETS.name());
    }

    private void run() {
        try {
            while (running) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                    steps.note(record, System.nanoTime());
                }
            }
        } catch (WakeupException e) {
            // closed
        } finally {
            consumer.close();
        }
    }

    /** Stops reading; what was noted stays in {@link #steps()}. */
    @Override
    public void close() throws InterruptedException {
        running = false;
        consumer.wakeup();
        thread.join(TimeUnit.SECONDS.toMillis(10));
    }

    /** What was noted; read it after {@link #close}. */
    OrderSteps steps() {
        return steps;
    }
}
