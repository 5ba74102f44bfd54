package io.bulwark.connectors.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.bulwark.infra.KafkaService;
import io.bulwark.infra.PostgresService;
import io.bulwark.infra.junit.SharedInfraExtension;
import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.Topics;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The CDC relay runs as its own process and is killed with SIGKILL in the middle of a 10,000-event
 * run, then started again: every committed event must arrive, in order per aggregate. Duplicates
 * are expected (offsets are committed after Kafka acknowledged a batch, at most once a second) and
 * are counted and reported.
 */
@ExtendWith(SharedInfraExtension.class)
class RelayCrashTest {

    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void killAll() {
        processes.forEach(Process::destroyForcibly);
    }

    @Test
    void shouldDeliverEveryCommittedEventAfterRelayIsKilledMidRun(PostgresService postgres, KafkaService kafka)
            throws Exception {
        OutboxFixture outbox = new OutboxFixture(postgres, kafka);
        Workload workload = new Workload("crash-" + outbox.id + "-", 100, 100);
        try (TopicReader reader =
                new TopicReader(kafka.bootstrapServers(), Topics.ORDER_EVENTS.name(), workload::ours)) {
            Process first = startRelay(outbox, kafka, "first");
            await().atMost(Duration.ofSeconds(60)).until(() -> slotActive(outbox));

            List<EventEnvelope> events = workload.events();
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    for (int from = 0; from < events.size(); from += 100) {
                        outbox.commit(events.subList(from, from + 100));
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });

            await().atMost(Duration.ofSeconds(60)).until(() -> Workload.distinct(reader.poll()) >= 3_000);
            first.destroyForcibly(); // SIGKILL: no shutdown hook, no offset flush
            assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
            int beforeCrash = Workload.distinct(reader.poll());

            writer.get(60, TimeUnit.SECONDS);
            startRelay(outbox, kafka, "second");
            await().atMost(Duration.ofSeconds(120)).until(() -> Workload.distinct(reader.poll()) >= workload.size());
            List<ConsumerRecord<byte[], byte[]>> records = List.copyOf(reader.drainToEnd());

            workload.assertCompleteAndOrdered(records);
            int duplicates = Workload.duplicates(records);
            System.out.printf(
                    "RelayCrashTest: %d events, killed after %d had arrived, %d records, %d duplicates%n",
                    workload.size(), beforeCrash, records.size(), duplicates);
            assertThat(beforeCrash).as("the relay was killed mid-run").isLessThan(workload.size());
        } finally {
            processes.forEach(Process::destroy);
            for (Process p : processes) {
                p.waitFor(30, TimeUnit.SECONDS);
            }
            outbox.dropSlot();
        }
    }

    private Process startRelay(OutboxFixture outbox, KafkaService kafka, String name) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder builder = new ProcessBuilder(
                        java,
                        "-Xmx512m",
                        "-cp",
                        System.getProperty("java.class.path"),
                        RelayMain.class.getName(),
                        "--mode",
                        "cdc",
                        "--bootstrap-servers",
                        kafka.bootstrapServers(),
                        "--db-host",
                        outbox.postgres.host(),
                        "--db-port",
                        Integer.toString(outbox.postgres.port()),
                        "--db-name",
                        outbox.postgres.database(),
                        "--db-user",
                        outbox.postgres.username(),
                        "--schema",
                        outbox.table.schema(),
                        "--offsets-topic",
                        "relay-offsets-" + outbox.id,
                        "--set",
                        "slot.name=slot_" + outbox.id,
                        "--set",
                        "publication.name=pub_" + outbox.id,
                        "--set",
                        "topic.prefix=outbox-" + outbox.id)
                .redirectErrorStream(true)
                .redirectOutput(
                        Path.of("target", "relay-crash-" + name + ".log").toFile());
        builder.environment().put("BULWARK_RELAY_CAPTURE_PASSWORD", outbox.postgres.password());
        Process process = builder.start();
        processes.add(process);
        return process;
    }

    private static boolean slotActive(OutboxFixture outbox) throws Exception {
        try (Connection c = outbox.postgres.connect();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(
                        "SELECT active FROM pg_replication_slots WHERE slot_name = 'slot_" + outbox.id + "'")) {
            return rs.next() && rs.getBoolean(1);
        }
    }
}
