package io.bulwark.connectors.relay.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.bulwark.schemas.DeadLetterHeaders;
import io.bulwark.schemas.EnvelopeHeaders;
import io.bulwark.schemas.EventSchemas;
import io.bulwark.schemas.Json;
import io.bulwark.schemas.SchemaViolationException;
import io.bulwark.schemas.Topics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes outbox records with an idempotent producer: to their event topic when the registry
 * declares it and the payload is valid for its event type; otherwise, unchanged, to the
 * dead-letter topic with the cause in {@link DeadLetterHeaders}. A bad row never stops a relay.
 *
 * <p>{@link #publishAll} returns only when every record is acknowledged by Kafka, so the caller
 * can then mark the batch done (commit source offsets, or mark rows published).
 */
public final class EventPublisher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EventPublisher.class);

    private final KafkaProducer<byte[], byte[]> producer;
    private final EventSchemas schemas;
    private final Counter published;
    private final Counter deadLettered;

    public EventPublisher(
            String bootstrapServers, String clientId, EventSchemas schemas, MeterRegistry registry, String mode) {
        this.producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrapServers,
                ProducerConfig.CLIENT_ID_CONFIG,
                clientId,
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                true,
                ProducerConfig.ACKS_CONFIG,
                "all",
                ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION,
                5,
                ProducerConfig.LINGER_MS_CONFIG,
                2,
                ProducerConfig.COMPRESSION_TYPE_CONFIG,
                "lz4",
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
                ByteArraySerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
                ByteArraySerializer.class));
        this.schemas = schemas;
        this.published = Counter.builder("bulwark.outbox.relay.published")
                .description("Outbox events published to their topic")
                .tag("mode", mode)
                .register(registry);
        this.deadLettered = Counter.builder("bulwark.outbox.relay.dead.lettered")
                .description("Outbox rows sent to the dead-letter topic instead")
                .tag("mode", mode)
                .register(registry);
    }

    /** Sends every record (or its dead letter) and waits until Kafka acknowledged all of them. */
    public void publishAll(List<ProducerRecord<byte[], byte[]>> records) throws InterruptedException {
        List<Future<RecordMetadata>> sent = new ArrayList<>(records.size());
        int dead = 0;
        for (ProducerRecord<byte[], byte[]> record : records) {
            ProducerRecord<byte[], byte[]> checked = checked(record);
            if (checked != record) {
                dead++;
            }
            sent.add(producer.send(checked));
        }
        producer.flush();
        for (Future<RecordMetadata> ack : sent) {
            try {
                ack.get();
            } catch (ExecutionException e) {
                throw new PublishFailedException("Kafka did not acknowledge an outbox record", e.getCause());
            }
        }
        published.increment(records.size() - dead);
        deadLettered.increment(dead);
    }

    private ProducerRecord<byte[], byte[]> checked(ProducerRecord<byte[], byte[]> record) {
        String problem = problemWith(record);
        if (problem == null) {
            return record;
        }
        log.warn(
                "Outbox event {} goes to {}: {}",
                EnvelopeHeaders.text(record.headers(), EnvelopeHeaders.EVENT_ID),
                Topics.DEAD_LETTERS.name(),
                problem);
        Headers headers = new RecordHeaders(record.headers().toArray());
        put(headers, DeadLetterHeaders.EXCEPTION, InvalidOutboxRowException.class.getName());
        put(headers, DeadLetterHeaders.MESSAGE, problem);
        put(headers, DeadLetterHeaders.STACKTRACE, "outbox relay: " + problem);
        put(headers, DeadLetterHeaders.TOPIC, record.topic());
        return new ProducerRecord<>(Topics.DEAD_LETTERS.name(), null, record.key(), record.value(), headers);
    }

    /** What is wrong with a record, or {@code null} when it may be published. */
    private String problemWith(ProducerRecord<byte[], byte[]> record) {
        String aggregateType = EnvelopeHeaders.text(record.headers(), EnvelopeHeaders.AGGREGATE_TYPE);
        if (aggregateType == null
                || Topics.eventsOf(aggregateType).isEmpty()
                || !Topics.eventTopicName(aggregateType).equals(record.topic())) {
            return "no topic is declared for aggregate type '" + aggregateType + "' (record routed to '"
                    + record.topic() + "')";
        }
        if (record.value() == null) {
            return "the payload is empty";
        }
        JsonNode payload;
        try {
            payload = Json.mapper().readTree(record.value());
        } catch (IOException e) {
            return "the payload is not JSON: " + e.getMessage();
        }
        String type = EnvelopeHeaders.text(record.headers(), EnvelopeHeaders.EVENT_TYPE);
        try {
            schemas.validatePayload(type, payload);
        } catch (SchemaViolationException e) {
            return "the payload breaks the schema of " + type + ": " + String.join("; ", e.violations());
        }
        return null;
    }

    private static void put(Headers headers, String name, String value) {
        headers.remove(name);
        headers.add(name, value.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void close() {
        producer.close();
    }

    /** An outbox row that cannot be published as an event. */
    public static final class InvalidOutboxRowException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public InvalidOutboxRowException(String message) {
            super(message);
        }
    }

    /** Kafka refused or did not acknowledge a record; the batch must be retried. */
    public static final class PublishFailedException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public PublishFailedException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
