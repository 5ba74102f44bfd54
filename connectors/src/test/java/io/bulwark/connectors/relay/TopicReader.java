package io.bulwark.connectors.relay;

import io.bulwark.infra.KafkaClients;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;

/** Reads a topic from the beginning (read_committed), keeping the records a test cares about. */
final class TopicReader implements AutoCloseable {

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Predicate<ConsumerRecord<byte[], byte[]>> keep;
    private final List<ConsumerRecord<byte[], byte[]>> kept = new ArrayList<>();

    TopicReader(String bootstrapServers, String topic, Predicate<ConsumerRecord<byte[], byte[]>> keep) {
        this.keep = keep;
        this.consumer = KafkaClients.bytesConsumer(bootstrapServers, topic, "earliest");
    }

    /** Polls once and returns everything kept so far. */
    List<ConsumerRecord<byte[], byte[]>> poll() {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
            if (keep.test(record)) {
                kept.add(record);
            }
        }
        return kept;
    }

    /** Polls until this reader has read everything on the topic at the time of the call. */
    List<ConsumerRecord<byte[], byte[]>> drainToEnd() {
        while (consumer.assignment().isEmpty()) {
            poll();
        }
        var end = consumer.endOffsets(consumer.assignment());
        while (end.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue())) {
            poll();
        }
        return kept;
    }

    @Override
    public void close() {
        consumer.close();
    }
}
