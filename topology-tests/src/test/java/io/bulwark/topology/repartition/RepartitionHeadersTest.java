package io.bulwark.topology.repartition;

import static org.assertj.core.api.Assertions.assertThat;

import io.bulwark.schemas.EnvelopeHeaders;
import io.bulwark.schemas.Json;
import io.bulwark.schemas.Topics;
import io.bulwark.streams.aggregate.inventory.InventoryCommand;
import io.bulwark.topology.support.TestTopology;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The repartitions whose values carry all that the other side reads send no headers: an order event's envelope
 * headers, which Kafka Streams would otherwise copy onto every repartition record, were most of their bytes.
 */
class RepartitionHeadersTest {

    @TempDir
    Path stateDir;

    @ParameterizedTest
    @ValueSource(strings = {"rates-by-customer", "rates-by-merchant", "read-customer-orders-grouped"})
    void shouldSendAnOrderThroughTheRepartitionWithoutTheEventsHeaders(String repartition) {
        try (TestTopology topology = new TestTopology(stateDir, Map.of())) {
            topology.pipe(TestTopology.order("o-1", "c-1", "m-1", 500), 1_000);

            assertThat(topology.unique.readRecord().headers().lastHeader(EnvelopeHeaders.EVENT_TYPE))
                    .as("the order event travels with its envelope in headers")
                    .isNotNull();
            assertThat(records(topology, repartition))
                    .singleElement()
                    .satisfies(r -> assertThat(r.headers().toArray()).isEmpty());
        }
    }

    @Test
    void shouldSendAStockAnswerToItsOrdersTaskWithoutHeaders() throws Exception {
        try (TestTopology topology = new TestTopology(stateDir, Map.of())) {
            topology.driver
                    .createInputTopic(
                            Topics.INVENTORY_COMMANDS.name(), new StringSerializer(), new ByteArraySerializer())
                    .pipeInput(
                            "sku-1",
                            Json.mapper()
                                    .writerFor(InventoryCommand.class)
                                    .writeValueAsBytes(
                                            new InventoryCommand.Restock(UUID.randomUUID(), "sku-1", null, 5)),
                            1);
            topology.pipe(TestTopology.order("o-1", "c-1", null, 500), 1_000);

            List<TestRecord<byte[], byte[]>> answers = records(topology, "read-order-status-grouped");
            assertThat(answers).as("the reservation, sent to the order's task").isNotEmpty();
            assertThat(answers)
                    .allSatisfy(r -> assertThat(r.headers().toArray()).isEmpty());
        }
    }

    private static List<TestRecord<byte[], byte[]>> records(TestTopology topology, String repartition) {
        String app = topology.config.streamsProperties().getProperty(StreamsConfig.APPLICATION_ID_CONFIG);
        return topology.driver
                .createOutputTopic(
                        app + "-" + repartition + "-repartition",
                        new ByteArrayDeserializer(),
                        new ByteArrayDeserializer())
                .readRecordsToList();
    }
}
