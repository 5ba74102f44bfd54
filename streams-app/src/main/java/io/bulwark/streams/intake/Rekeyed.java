package io.bulwark.streams.intake;

import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KeyValueMapper;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Re-keys a stream on its way into a repartition topic, as {@code selectKey} does, and drops the records'
 * headers there.
 *
 * <p>Kafka Streams writes a record's headers to every topic it is sent to, repartition topics included. An
 * order event read from its topic carries its envelope as headers (id, type, aggregate, time, correlation,
 * causation, trace); once a processor has turned it into a value that holds what the other side of the
 * repartition reads (an amount, or the whole envelope as JSON), those headers are written, stored, fetched and
 * parsed again for nobody. On a rate-accounting repartition they were three quarters of each record's bytes
 * (182 bytes against 41), nine tenths once the event also carries a correlation id and a trace.
 *
 * <p>Use it only where nothing after the repartition reads a header: the records come out of the topic without
 * any, and a sink further on writes only the headers its serializer adds. A record dead-lettered on the other
 * side (errors.processing=continue) carries its key, its value and the error headers, not the event's headers:
 * where the value is not the whole envelope (rates' amounts), it names the customer or merchant and the amount,
 * not the order.
 */
public final class Rekeyed {

    private Rekeyed() {}

    /**
     * {@code stream} with each record's key replaced by {@code key} of it, and no headers; the result is marked for
     * repartitioning like {@code selectKey}'s (follow it with {@code repartition} or {@code groupByKey}).
     */
    public static <K, V, K2> KStream<K2, V> by(
            KStream<K, V> stream, KeyValueMapper<? super K, ? super V, ? extends K2> key, Named named) {
        return stream.process(
                () -> new Processor<K, V, K2, V>() {
                    private ProcessorContext<K2, V> context;

                    @Override
                    public void init(ProcessorContext<K2, V> context) {
                        this.context = context;
                    }

                    @Override
                    public void process(Record<K, V> record) {
                        K2 newKey = key.apply(record.key(), record.value());
                        context.forward(new Record<>(newKey, record.value(), record.timestamp(), new RecordHeaders()));
                    }
                },
                named);
    }
}
