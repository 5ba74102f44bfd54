package io.bulwark.orders.payment;

import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's transactional producer: replies, dead letters and the consumed offsets they answer commit in
 * one Kafka transaction, so a command's reply is published exactly when its offset moves past it. A worker
 * started again under the same transactional id fences its predecessor and aborts the transaction it left
 * open.
 */
final class ReplyTransactions implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ReplyTransactions.class);

    private final KafkaProducer<byte[], byte[]> producer;
    private volatile long committed;

    ReplyTransactions(String bootstrapServers, String transactionalId) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        this.producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
        producer.initTransactions();
    }

    /**
     * Sends {@code completed}'s records and commits its offsets for {@code group} in one transaction. Returns
     * false when the transaction failed and was aborted: nothing of it is visible, and the caller goes back to
     * the committed offsets. Throws the errors after which this producer cannot go on (fenced, out of
     * sequence, not authorized).
     */
    boolean commit(InFlightCommands.Completed completed, ConsumerGroupMetadata group) {
        Map<TopicPartition, OffsetAndMetadata> offsets = completed.offsets();
        try {
            producer.beginTransaction();
            completed.replies().forEach(producer::send);
            if (!offsets.isEmpty()) {
                producer.sendOffsetsToTransaction(offsets, group);
            }
            producer.commitTransaction();
            committed++;
            return true;
        } catch (ProducerFencedException | OutOfOrderSequenceException | AuthorizationException fatal) {
            throw fatal;
        } catch (KafkaException e) {
            log.warn(
                    "Reply transaction failed; the uncommitted commands run again (the gateway answers repeats "
                            + "once): {}",
                    e.toString());
            producer.abortTransaction();
            return false;
        }
    }

    /** Transactions committed so far (the worker's progress, for its stall watch). */
    long committed() {
        return committed;
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
