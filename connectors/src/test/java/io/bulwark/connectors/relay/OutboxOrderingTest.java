package io.bulwark.connectors.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.bulwark.infra.KafkaService;
import io.bulwark.infra.PostgresService;
import io.bulwark.infra.junit.SharedInfraExtension;
import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** 10,000 events over 100 aggregates keep their order per aggregate, in both relay modes. */
@ExtendWith(SharedInfraExtension.class)
class OutboxOrderingTest {

    @Test
    void shouldKeepOrderPerAggregateInCdcMode(PostgresService postgres, KafkaService kafka) throws Exception {
        OutboxFixture outbox = new OutboxFixture(postgres, kafka);
        Workload workload = new Workload("cdc-" + outbox.id + "-", 100, 100);
        try (OutboxRelay relay =
                OutboxRelay.start(outbox.relaySettings(), OutboxFixture.SCHEMAS, new SimpleMeterRegistry())) {
            await().atMost(Duration.ofSeconds(60)).until(relay::running);
            writeInTransactions(outbox, workload.events());
            assertDelivered(kafka, workload);
        } finally {
            outbox.dropSlot();
        }
    }

    @Test
    void shouldKeepOrderPerAggregateAndPublishOnceWithTwoPollingWorkers(PostgresService postgres, KafkaService kafka)
            throws Exception {
        OutboxFixture outbox = new OutboxFixture(postgres, kafka);
        Workload workload = new Workload("poll-" + outbox.id + "-", 100, 100);
        writeInTransactions(outbox, workload.events());
        PollingOutboxRelay.Settings settings = PollingOutboxRelay.Settings.of(
                        kafka.bootstrapServers(), outbox.database(), outbox.table)
                .withWorkers(1)
                .withBatchSize(300);
        // Two independent relays, as two processes would run: they share the table, not memory.
        try (PollingOutboxRelay first =
                        PollingOutboxRelay.start(settings, OutboxFixture.SCHEMAS, new SimpleMeterRegistry());
                PollingOutboxRelay second =
                        PollingOutboxRelay.start(settings, OutboxFixture.SCHEMAS, new SimpleMeterRegistry())) {
            await().atMost(Duration.ofSeconds(120)).until(() -> outbox.unpublished() == 0);
            // Every row is marked published, so every record was acknowledged: the topic is complete.
            List<ConsumerRecord<byte[], byte[]>> records = assertDelivered(kafka, workload);
            assertThat(Workload.duplicates(records))
                    .as("events published twice by the workers")
                    .isZero();
        }
    }

    static void writeInTransactions(OutboxFixture outbox, List<EventEnvelope> events) throws Exception {
        for (int from = 0; from < events.size(); from += 500) {
            outbox.commit(events.subList(from, Math.min(events.size(), from + 500)));
        }
    }

    static List<ConsumerRecord<byte[], byte[]>> assertDelivered(KafkaService kafka, Workload workload) {
        try (TopicReader reader =
                new TopicReader(kafka.bootstrapServers(), Topics.ORDER_EVENTS.name(), workload::ours)) {
            await().atMost(Duration.ofSeconds(120)).until(() -> Workload.distinct(reader.poll()) >= workload.size());
            List<ConsumerRecord<byte[], byte[]>> records = List.copyOf(reader.drainToEnd());
            workload.assertCompleteAndOrdered(records);
            return records;
        }
    }
}
