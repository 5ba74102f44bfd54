package io.bulwark.orders.payment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bulwark.infra.KafkaClients;
import io.bulwark.infra.KafkaService;
import io.bulwark.infra.junit.SharedInfraExtension;
import io.bulwark.schemas.DeadLetterHeaders;
import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.EventEnvelopeSerde;
import io.bulwark.schemas.Json;
import io.bulwark.schemas.TopicLeaders;
import io.bulwark.schemas.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The worker on the embedded broker against the simulator: authorizations, declines, "retry later"
 * during an outage, a duplicated command charged once, and a record it cannot read dead-lettered.
 */
@ExtendWith(SharedInfraExtension.class)
class PaymentWorkerTest {

    @Test
    void shouldReplyToEveryCommandAndChargeEachOnce(KafkaService kafka) throws Exception {
        createTopics(kafka);
        String run = UUID.randomUUID().toString().substring(0, 8);
        EventEnvelopeSerde serde = EventEnvelopeSerde.inHeaders();
        try (GatewaySimulator simulator = new GatewaySimulator("127.0.0.1", 0);
                KafkaConsumer<byte[], byte[]> replies =
                        KafkaClients.bytesConsumer(kafka.bootstrapServers(), Topics.PAYMENT_EVENTS.name(), "earliest");
                KafkaConsumer<byte[], byte[]> deadLetters =
                        KafkaClients.bytesConsumer(kafka.bootstrapServers(), Topics.DEAD_LETTERS.name(), "earliest");
                KafkaProducer<byte[], byte[]> producer = KafkaClients.bytesProducer(kafka.bootstrapServers());
                PaymentWorker worker = new PaymentWorker(
                        kafka.bootstrapServers(),
                        "payment-worker-" + run,
                        new PaymentGateway(simulator.baseUrl(), Duration.ofMillis(500), Duration.ofSeconds(2)),
                        new ResilientPayments(
                                "worker-test",
                                ResilientPayments.Settings.defaults()
                                        .withRetry(3, Duration.ofMillis(5), Duration.ofMillis(50)),
                                new SimpleMeterRegistry()),
                        8,
                        new SimpleMeterRegistry())) {
            Map<String, EventEnvelope> commands = new HashMap<>();
            for (int i = 0; i < 40; i++) {
                String orderId = "o-" + run + "-" + i;
                long amount = i % 10 == 0 ? 1_013 : 1_000; // ...13 cents: the simulator declines
                EventEnvelope command = command(orderId, amount);
                commands.put(command.eventId().toString(), command);
                send(producer, serde, command);
                if (i % 8 == 0) {
                    send(producer, serde, command); // a duplicated delivery
                }
            }
            producer.send(new ProducerRecord<>(
                    Topics.PAYMENT_COMMANDS.name(),
                    ("bad-" + run).getBytes(StandardCharsets.UTF_8),
                    "not an envelope".getBytes(StandardCharsets.UTF_8)));
            producer.flush();

            Map<String, EventEnvelope> answers = new HashMap<>();
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                for (ConsumerRecord<byte[], byte[]> r : replies.poll(Duration.ofMillis(200))) {
                    EventEnvelope reply = serde.deserializer().deserialize(r.topic(), r.headers(), r.value());
                    if (commands.containsKey(reply.causationId())) {
                        assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo(reply.aggregateId());
                        answers.putIfAbsent(reply.causationId(), reply);
                    }
                }
                return answers.size() == commands.size();
            });
            for (EventEnvelope command : commands.values()) {
                EventEnvelope reply = answers.get(command.eventId().toString());
                assertThat(reply.correlationId()).isEqualTo(command.aggregateId());
                boolean declined = command.payload().path("amountCents").asLong() % 100 == 13;
                assertThat(reply.type()).isEqualTo(declined ? "PaymentDeclined" : "PaymentAuthorized");
            }
            // Counted by order: the group starts at the earliest offset, so it also answers other tests' commands.
            assertThat(simulator.openAuthorizations().stream().filter(id -> id.startsWith("o-" + run + "-")))
                    .as("one charge per authorized command, duplicates included")
                    .hasSize(36);
            assertThat(simulator.chargedMoreThanOnce()).noneMatch(id -> id.startsWith("o-" + run + "-"));

            await().atMost(Duration.ofSeconds(30)).until(() -> {
                for (ConsumerRecord<byte[], byte[]> r : deadLetters.poll(Duration.ofMillis(200))) {
                    if (r.key() != null && new String(r.key(), StandardCharsets.UTF_8).equals("bad-" + run)) {
                        assertThat(r.headers().lastHeader(DeadLetterHeaders.MESSAGE))
                                .isNotNull();
                        assertThat(new String(
                                        r.headers()
                                                .lastHeader(DeadLetterHeaders.TOPIC)
                                                .value(),
                                        StandardCharsets.UTF_8))
                                .isEqualTo(Topics.PAYMENT_COMMANDS.name());
                        return true;
                    }
                }
                return false;
            });

            // An outage: the worker answers "retry later" (retryable) instead of failing the order.
            simulator.faults(GatewaySimulator.Faults.none().withErrorRate(1.0));
            EventEnvelope during = command("o-" + run + "-outage", 1_000);
            send(producer, serde, during);
            producer.flush();
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                for (ConsumerRecord<byte[], byte[]> r : replies.poll(Duration.ofMillis(200))) {
                    EventEnvelope reply = serde.deserializer().deserialize(r.topic(), r.headers(), r.value());
                    if (reply.causationId() != null
                            && reply.causationId().equals(during.eventId().toString())) {
                        assertThat(reply.type()).isEqualTo("PaymentFailed");
                        assertThat(reply.payload().path("retryable").asBoolean())
                                .isTrue();
                        return true;
                    }
                }
                return false;
            });
            assertThat(worker.isRunning()).isTrue();
        }
    }

    @Test
    void shouldReportAStallWhileCommandsWaitLongerThanTheBoundAndClearOnceAnswered(KafkaService kafka)
            throws Exception {
        createTopics(kafka);
        String run = UUID.randomUUID().toString().substring(0, 8);
        try (GatewaySimulator simulator = new GatewaySimulator("127.0.0.1", 0);
                KafkaProducer<byte[], byte[]> producer = KafkaClients.bytesProducer(kafka.bootstrapServers());
                PaymentWorker worker = new PaymentWorker(
                        kafka.bootstrapServers(),
                        "payment-stall-" + run,
                        new PaymentGateway(simulator.baseUrl(), Duration.ofMillis(500), Duration.ofSeconds(10)),
                        new ResilientPayments(
                                "stall-test", ResilientPayments.Settings.defaults(), new SimpleMeterRegistry()),
                        4,
                        new SimpleMeterRegistry(),
                        Duration.ofMillis(300),
                        null)) {
            // The group starts at the earliest offset: let it answer what earlier tests left before the gateway hangs.
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
                await().atMost(Duration.ofSeconds(60)).until(() -> caughtUp(admin, "payment-stall-" + run));
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> !worker.stalled()); // idle is never a stall
            simulator.faults(GatewaySimulator.Faults.none().withLatency(4_000)); // a gateway that hangs
            // ...13 cents: declined, so no other test of this class counts it as a charge when it reads it again
            send(producer, EventEnvelopeSerde.inHeaders(), command("o-" + run + "-slow", 1_013));
            producer.flush();
            await().atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(50))
                    .until(worker::stalled);
            await().atMost(Duration.ofSeconds(30)).until(() -> !worker.stalled()); // answered and committed
        }
    }

    /**
     * A worker killed mid-transaction leaves it open; the same worker started again (same instance id)
     * must abort it at once — not leave every read-committed reader of the replies blocked behind it until
     * the transaction times out (here five minutes; a minute by default).
     */
    @Test
    void shouldAbortTheTransactionAKilledPredecessorLeftOpenWhenRestartedUnderTheSameName(KafkaService kafka)
            throws Exception {
        createTopics(kafka);
        String run = UUID.randomUUID().toString().substring(0, 8);
        String group = "payment-restart-" + run;
        Map<String, Object> zombieConfig = Map.of(
                "bootstrap.servers",
                kafka.bootstrapServers(),
                "transactional.id",
                PaymentWorker.transactionalId(group, "worker-a"),
                "transaction.timeout.ms",
                300_000,
                "key.serializer",
                ByteArraySerializer.class,
                "value.serializer",
                ByteArraySerializer.class);
        KafkaProducer<byte[], byte[]> zombie = new KafkaProducer<>(zombieConfig);
        zombie.initTransactions();
        zombie.beginTransaction();
        for (int p = 0; p < Topics.PAYMENT_EVENTS.partitions(); p++) { // every partition a reply could go to
            zombie.send(new ProducerRecord<>(
                    Topics.PAYMENT_EVENTS.name(), p, null, "half-written".getBytes(StandardCharsets.UTF_8)));
        }
        zombie.flush(); // ...and then the process dies: no commit, no abort
        EventEnvelopeSerde serde = EventEnvelopeSerde.inHeaders();
        try (GatewaySimulator simulator = new GatewaySimulator("127.0.0.1", 0);
                KafkaConsumer<byte[], byte[]> replies =
                        KafkaClients.bytesConsumer(kafka.bootstrapServers(), Topics.PAYMENT_EVENTS.name(), "earliest");
                KafkaProducer<byte[], byte[]> producer = KafkaClients.bytesProducer(kafka.bootstrapServers());
                PaymentWorker worker = new PaymentWorker(
                        kafka.bootstrapServers(),
                        group,
                        new PaymentGateway(simulator.baseUrl(), Duration.ofMillis(500), Duration.ofSeconds(2)),
                        new ResilientPayments(
                                "restart-test", ResilientPayments.Settings.defaults(), new SimpleMeterRegistry()),
                        4,
                        new SimpleMeterRegistry(),
                        PaymentWorker.DEFAULT_STALL_TIMEOUT,
                        "worker-a")) {
            EventEnvelope command = command("o-" + run, 1_000);
            send(producer, serde, command);
            producer.flush();
            await().atMost(Duration.ofSeconds(90)).until(() -> {
                for (ConsumerRecord<byte[], byte[]> r : replies.poll(Duration.ofMillis(200))) {
                    assertThat(new String(r.value(), StandardCharsets.UTF_8))
                            .as("aborted, never read")
                            .isNotEqualTo("half-written");
                    EventEnvelope reply = serde.deserializer().deserialize(r.topic(), r.headers(), r.value());
                    if (command.eventId().toString().equals(reply.causationId())) {
                        return true;
                    }
                }
                return false;
            });
        } finally {
            zombie.close(Duration.ZERO);
        }
    }

    /**
     * A void the gateway cannot take now (an outage: every call 503, the breaker opens) is not
     * dead-lettered — that would leave the money taken — but tried again until the gateway is back.
     */
    @Test
    void shouldKeepTryingAVoidThroughAGatewayOutageInsteadOfDeadLetteringIt(KafkaService kafka) throws Exception {
        createTopics(kafka);
        String run = UUID.randomUUID().toString().substring(0, 8);
        String orderId = "o-" + run + "-void";
        EventEnvelopeSerde serde = EventEnvelopeSerde.inHeaders();
        try (GatewaySimulator simulator = new GatewaySimulator("127.0.0.1", 0);
                KafkaConsumer<byte[], byte[]> deadLetters =
                        KafkaClients.bytesConsumer(kafka.bootstrapServers(), Topics.DEAD_LETTERS.name(), "earliest");
                KafkaProducer<byte[], byte[]> producer = KafkaClients.bytesProducer(kafka.bootstrapServers());
                PaymentWorker worker = new PaymentWorker(
                        kafka.bootstrapServers(),
                        "payment-void-" + run,
                        new PaymentGateway(simulator.baseUrl(), Duration.ofMillis(500), Duration.ofSeconds(2)),
                        new ResilientPayments(
                                "void-test",
                                ResilientPayments.Settings.defaults()
                                        .withRetry(2, Duration.ofMillis(5), Duration.ofMillis(20)),
                                new SimpleMeterRegistry()),
                        4,
                        new SimpleMeterRegistry())) {
            send(producer, serde, command(orderId, 1_000));
            producer.flush();
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> simulator.openAuthorizations().contains(orderId));

            simulator.faults(GatewaySimulator.Faults.none().withErrorRate(1.0));
            ObjectNode payload = Json.mapper().createObjectNode().put("orderId", orderId);
            send(
                    producer,
                    serde,
                    new EventEnvelope(
                            UUID.randomUUID(),
                            "VoidPayment",
                            "payment",
                            orderId,
                            null,
                            Instant.now(),
                            orderId,
                            UUID.randomUUID().toString(),
                            null,
                            payload));
            producer.flush();
            long attemptsBefore = simulator.attempts();
            await().atMost(Duration.ofSeconds(30)).until(() -> simulator.attempts() >= attemptsBefore + 6);
            for (ConsumerRecord<byte[], byte[]> r : deadLetters.poll(Duration.ofSeconds(2))) {
                assertThat(r.key() == null ? "" : new String(r.key(), StandardCharsets.UTF_8))
                        .as("dead-lettered void")
                        .isNotEqualTo(orderId);
            }
            assertThat(simulator.openAuthorizations()).contains(orderId);

            simulator.faults(GatewaySimulator.Faults.none()); // the gateway is back
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> !simulator.openAuthorizations().contains(orderId));
            assertThat(worker.isRunning()).isTrue();
        }
    }

    /**
     * A slow gateway call at the head of one partition holds back that partition's commit, and the many commands
     * done behind it wait to be committed; the other partitions' commands must still be fetched and answered.
     * Until 2026-12-04 the done commands counted against the whole worker's in-flight bound, so this paused every
     * partition: at 40 orders/s with 10% of gateway answers 5 s late, no authorization started in time and every
     * saga timed out (benchmarks/PROFILES.md, fifteenth round).
     */
    @Test
    void shouldAnswerOtherPartitionsWhileCommandsWaitBehindASlowCall(KafkaService kafka) throws Exception {
        createTopics(kafka);
        String run = UUID.randomUUID().toString().substring(0, 8);
        String group = "payment-slow-head-" + run;
        EventEnvelopeSerde serde = EventEnvelopeSerde.inHeaders();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()));
                GatewaySimulator simulator = new GatewaySimulator("127.0.0.1", 0);
                KafkaConsumer<byte[], byte[]> replies =
                        KafkaClients.bytesConsumer(kafka.bootstrapServers(), Topics.PAYMENT_EVENTS.name(), "earliest");
                KafkaProducer<byte[], byte[]> producer = KafkaClients.bytesProducer(kafka.bootstrapServers());
                PaymentWorker worker = new PaymentWorker(
                        kafka.bootstrapServers(),
                        group,
                        new PaymentGateway(simulator.baseUrl(), Duration.ofMillis(500), Duration.ofSeconds(30)),
                        new ResilientPayments(
                                "slow-head-test", ResilientPayments.Settings.defaults(), new SimpleMeterRegistry()),
                        2, // at most 8 commands running
                        new SimpleMeterRegistry())) {
            // The group starts at the earliest offset: let it answer what other tests left first.
            await().atMost(Duration.ofSeconds(60)).until(() -> caughtUp(admin, group));

            simulator.faults(GatewaySimulator.Faults.none().withSlow(1.0, 8_000));
            EventEnvelope slow = command("o-" + run + "-slow", 1_000);
            long attemptsBefore = simulator.attempts();
            send(producer, serde, slow, 0);
            producer.flush();
            await().atMost(Duration.ofSeconds(30)).until(() -> simulator.attempts() > attemptsBefore);
            simulator.faults(GatewaySimulator.Faults.none());

            Map<String, String> answered = new HashMap<>(); // causation id -> reply type
            List<String> behind = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                EventEnvelope command = command("o-" + run + "-behind-" + i, 1_000);
                behind.add(command.eventId().toString());
                send(producer, serde, command, 0);
            }
            producer.flush();
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                collect(replies, serde, answered);
                return answered.keySet().containsAll(behind);
            });
            assertThat(answered)
                    .as("the commands behind the slow one are answered before it")
                    .doesNotContainKey(slow.eventId().toString());

            EventEnvelope other = command("o-" + run + "-other", 1_000);
            send(producer, serde, other, 1);
            producer.flush();
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                collect(replies, serde, answered);
                return answered.containsKey(other.eventId().toString());
            });
            assertThat(answered)
                    .as("another partition's command is fetched and answered while 13 wait on partition 0")
                    .doesNotContainKey(slow.eventId().toString());

            await().atMost(Duration.ofSeconds(30)).until(() -> {
                collect(replies, serde, answered);
                return answered.containsKey(slow.eventId().toString());
            });
            await().atMost(Duration.ofSeconds(30)).until(() -> caughtUp(admin, group));
            assertThat(worker.isRunning()).isTrue();
        }
    }

    private static void collect(
            KafkaConsumer<byte[], byte[]> replies, EventEnvelopeSerde serde, Map<String, String> answered) {
        for (ConsumerRecord<byte[], byte[]> r : replies.poll(Duration.ofMillis(200))) {
            EventEnvelope reply = serde.deserializer().deserialize(r.topic(), r.headers(), r.value());
            if (reply.causationId() != null) {
                answered.putIfAbsent(reply.causationId(), reply.type());
            }
        }
    }

    /** The worker's topics, created once per JVM and served by their leaders. */
    private static void createTopics(KafkaService kafka) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            for (var spec : List.of(Topics.PAYMENT_COMMANDS, Topics.PAYMENT_EVENTS, Topics.DEAD_LETTERS)) {
                try {
                    admin.createTopics(List.of(new NewTopic(spec.name(), spec.partitions(), (short) 1)))
                            .all()
                            .get();
                } catch (ExecutionException exists) {
                    // created by another test in this JVM
                }
                TopicLeaders.await(admin, List.of(spec.name()), Duration.ofSeconds(60));
            }
        }
    }

    /** Whether the group has committed every command on the topic. */
    private static boolean caughtUp(Admin admin, String group) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                .partitionsToOffsetAndMetadata()
                .get();
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (int p = 0; p < Topics.PAYMENT_COMMANDS.partitions(); p++) {
            latest.put(new TopicPartition(Topics.PAYMENT_COMMANDS.name(), p), OffsetSpec.latest());
        }
        var ends = admin.listOffsets(latest).all().get();
        return ends.entrySet().stream()
                .allMatch(e -> e.getValue().offset() == 0
                        || committed.containsKey(e.getKey())
                                && committed.get(e.getKey()).offset()
                                        >= e.getValue().offset());
    }

    private static EventEnvelope command(String orderId, long amount) {
        ObjectNode payload = Json.mapper()
                .createObjectNode()
                .put("orderId", orderId)
                .put("amountCents", amount)
                .put("currency", "EUR");
        return new EventEnvelope(
                UUID.randomUUID(),
                "AuthorizePayment",
                "payment",
                orderId,
                null,
                Instant.now(),
                orderId,
                UUID.randomUUID().toString(),
                null,
                payload);
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, EventEnvelopeSerde serde, EventEnvelope command) {
        send(producer, serde, command, null);
    }

    private static void send(
            KafkaProducer<byte[], byte[]> producer,
            EventEnvelopeSerde serde,
            EventEnvelope command,
            Integer partition) {
        RecordHeaders headers = new RecordHeaders();
        byte[] value = serde.serializer().serialize(Topics.PAYMENT_COMMANDS.name(), headers, command);
        producer.send(new ProducerRecord<>(
                Topics.PAYMENT_COMMANDS.name(),
                partition,
                command.aggregateId().getBytes(StandardCharsets.UTF_8),
                value,
                headers));
    }
}
