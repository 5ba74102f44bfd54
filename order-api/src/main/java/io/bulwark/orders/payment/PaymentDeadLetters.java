package io.bulwark.orders.payment;

import io.bulwark.schemas.DeadLetterHeaders;
import io.bulwark.schemas.Topics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Payment commands that cannot be read or carried out go to the dead-letter topic byte for byte, with the
 * cause and their source in the same {@code __streams.errors.*} headers Kafka Streams writes, counted in
 * {@code bulwark.payments.dead.lettered}.
 */
final class PaymentDeadLetters {

    private static final Logger log = LoggerFactory.getLogger(PaymentDeadLetters.class);

    private final Counter deadLettered;

    PaymentDeadLetters(MeterRegistry meters) {
        this.deadLettered = Counter.builder("bulwark.payments.dead.lettered").register(meters);
    }

    /** The dead letter of {@code record}: {@code exception} names the cause's kind, {@code message} says what. */
    ProducerRecord<byte[], byte[]> of(ConsumerRecord<byte[], byte[]> record, String exception, String message) {
        deadLettered.increment();
        log.warn(
                "Dead-lettering payment command at {}-{}@{}: {}",
                record.topic(),
                record.partition(),
                record.offset(),
                message);
        Headers headers = new RecordHeaders(record.headers().toArray());
        headers.add(DeadLetterHeaders.EXCEPTION, utf8(exception));
        headers.add(DeadLetterHeaders.MESSAGE, utf8(message));
        headers.add(DeadLetterHeaders.STACKTRACE, utf8("payment worker: " + message));
        headers.add(DeadLetterHeaders.TOPIC, utf8(record.topic()));
        headers.add(DeadLetterHeaders.PARTITION, utf8(Integer.toString(record.partition())));
        headers.add(DeadLetterHeaders.OFFSET, utf8(Long.toString(record.offset())));
        return new ProducerRecord<>(Topics.DEAD_LETTERS.name(), null, record.key(), record.value(), headers);
    }

    private static byte[] utf8(String value) {
        return value.getBytes(StandardCharsets.UTF_8);
    }
}
