package io.bulwark.topology.saga;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bulwark.infra.Directories;
import io.bulwark.schemas.CleanupPolicy;
import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.EventEnvelopeSerde;
import io.bulwark.schemas.Json;
import io.bulwark.schemas.TopicSpec;
import io.bulwark.streams.saga.Outcome;
import io.bulwark.streams.saga.Outgoing;
import io.bulwark.streams.saga.SagaDefinition;
import io.bulwark.streams.saga.SagaState;
import io.bulwark.streams.saga.SagaStep;
import io.bulwark.streams.saga.SagaTopology;
import io.bulwark.streams.state.ExpiryIndex;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;

/**
 * A three-step saga defined in this test — the engine needs no code for it — under any sequence of
 * replies, retryable failures, timeouts, duplicates and stray replies, and with any of its steps sent
 * {@linkplain SagaStep#withPrevious() with the previous one} (replies then come for either step of a stage,
 * in any order): it always ends in a terminal state, and the compensations it issued are exactly the steps
 * whose commands it had sent (a success still on its way is undone too), in reverse order, each once.
 */
class SagaPropertiesTest {

    enum Move {
        SUCCEED,
        FAIL,
        RETRY,
        TIMEOUT,
        DUPLICATE,
        STRAY
    }

    private static final List<String> STEPS = List.of("a", "b", "c");

    @Provide
    Arbitrary<List<Move>> moves() {
        return Arbitraries.of(Move.class).list().ofMaxSize(20);
    }

    @Property(tries = 100)
    void shouldEndTerminalCompensatingExactlyTheStepsItSentInReverse(
            @ForAll("moves") List<Move> moves, @ForAll boolean bWithA, @ForAll boolean cWithB) throws Exception {
        SagaDefinition definition = definition(bWithA, cWithB);
        Path dir = Files.createTempDirectory("saga-prop");
        try (TopologyTestDriver driver = new TopologyTestDriver(topology(definition), props(dir), Instant.EPOCH)) {
            TestInputTopic<String, EventEnvelope> in = driver.createInputTopic(
                    "saga.test.in",
                    new StringSerializer(),
                    EventEnvelopeSerde.inHeaders().serializer());
            TestOutputTopic<String, String> commands =
                    driver.createOutputTopic("saga.test.commands", new StringDeserializer(), new StringDeserializer());
            in.pipeInput("s-1", event("Started", null, Json.mapper().createObjectNode()));

            List<String> undone = new ArrayList<>();
            List<String> sent = new ArrayList<>();
            List<String> succeeded = new ArrayList<>();
            EventEnvelope lastReply = null;
            for (int i = 0; i < moves.size(); i++) {
                Move move = moves.get(i);
                for (String line : commands.readValuesToList()) {
                    JsonNode command = Json.mapper().readTree(line);
                    if (command.path("purpose").asText().equals("undo")) {
                        undone.add(command.path("step").asText());
                    } else if (!sent.contains(command.path("step").asText())) {
                        sent.add(command.path("step").asText());
                    }
                }
                if (sent.isEmpty()) {
                    break;
                }
                SagaState state = state(driver, definition);
                assertThat(indexKeys(driver, definition))
                        .as("after %s the deadline index holds the saga's current deadline, and only it", moves)
                        .containsExactly(ExpiryIndex.indexKey(state.deadlineMs(), "s-1"));
                if (state.terminal()) {
                    break;
                }
                List<String> waiting = STEPS.stream()
                        .filter(name -> state.pending().contains(commandId("s-1", name, "do")))
                        .toList();
                if (waiting.isEmpty()) {
                    driver.advanceWallClockTime(Duration.ofMillis(1_100));
                    continue;
                }
                String step = waiting.get(i % waiting.size()); // either step of a stage may answer first
                String answered = commandId("s-1", step, "do");
                switch (move) {
                    case SUCCEED -> {
                        lastReply = event("Done", answered, reply(step));
                        in.pipeInput("s-1", lastReply);
                        if (!succeeded.contains(step)) {
                            succeeded.add(step);
                        }
                    }
                    case FAIL -> in.pipeInput("s-1", event("Refused", answered, reply(step)));
                    case RETRY -> {
                        in.pipeInput("s-1", event("Busy", answered, reply(step)));
                        driver.advanceWallClockTime(Duration.ofMillis(600));
                    }
                    case TIMEOUT -> driver.advanceWallClockTime(Duration.ofMillis(1_100));
                    case DUPLICATE -> {
                        if (lastReply != null) {
                            in.pipeInput("s-1", lastReply);
                        }
                    }
                    case STRAY ->
                        in.pipeInput("s-1", event("Done", UUID.randomUUID().toString(), reply(step)));
                }
            }
            for (int i = 0; i < 10 && !state(driver, definition).terminal(); i++) {
                driver.advanceWallClockTime(Duration.ofMillis(1_100)); // deadlines end every open saga
            }
            for (String line : commands.readValuesToList()) {
                JsonNode command = Json.mapper().readTree(line);
                String commandStep = command.path("step").asText();
                if (command.path("purpose").asText().equals("undo")) {
                    undone.add(commandStep);
                } else if (!sent.contains(commandStep)) {
                    sent.add(commandStep);
                }
            }
            SagaState end = state(driver, definition);
            assertThat(end.terminal())
                    .as("ends in a terminal state: %s", end.history())
                    .isTrue();
            if (end.status() == SagaState.Status.COMPLETED) {
                assertThat(undone).isEmpty();
                assertThat(end.touched()).containsExactlyInAnyOrderElementsOf(STEPS);
            } else {
                List<String> expected = new ArrayList<>(sent);
                Collections.reverse(expected);
                assertThat(undone)
                        .as("compensations = every step whose command was sent (a late success is "
                                + "undone too), reversed, once each")
                        .isEqualTo(expected);
                assertThat(end.compensated()).isEqualTo(expected);
                assertThat(succeeded).containsAll(end.touched());
                assertThat(sent).containsAll(end.touched());
            }
            assertThat(indexKeys(driver, definition))
                    .as("the deadline index holds the saga's current deadline and no stale one")
                    .containsExactly(ExpiryIndex.indexKey(end.deadlineMs(), "s-1"));
            Map<String, String> index = new HashMap<>();
            for (TestRecord<String, String> write : driver.createOutputTopic(
                            "saga-properties-" + definition.deadlinesStore() + "-changelog",
                            new StringDeserializer(),
                            new StringDeserializer())
                    .readRecordsToList()) {
                assertThat(write.value() == null ? index.containsKey(write.key()) : !index.containsKey(write.key()))
                        .as(
                                "every write to the deadline index changes it (%s %s), after %s",
                                write.key(), write.value(), moves)
                        .isTrue();
                if (write.value() == null) {
                    index.remove(write.key());
                } else {
                    index.put(write.key(), write.value());
                }
            }
        } finally {
            Directories.deleteRecursively(dir);
        }
    }

    private static SagaDefinition definition(boolean bWithA, boolean cWithB) {
        List<SagaStep> steps = new ArrayList<>();
        for (String name : STEPS) {
            SagaStep step = new SagaStep(
                    name,
                    saga -> List.of(command(saga.sagaId(), name, "do")),
                    saga -> List.of(command(saga.sagaId(), name, "undo")),
                    (trigger, reply) -> !reply.payload().path("step").asText().equals(name)
                            ? new Outcome.NotMine()
                            : switch (reply.type()) {
                                case "Done" -> new Outcome.Succeeded();
                                case "Refused" -> new Outcome.Failed("refused");
                                case "Busy" -> new Outcome.Retry("busy");
                                default -> new Outcome.NotMine();
                            },
                    Duration.ofSeconds(1),
                    2,
                    Duration.ofMillis(500));
            boolean withPrevious = name.equals("b") && bWithA || name.equals("c") && cWithB;
            steps.add(withPrevious ? step.withPrevious() : step);
        }
        return new SagaDefinition(
                "test",
                "Started",
                steps,
                saga -> event("Completed", null, Json.mapper().createObjectNode()),
                (saga, reason, status) -> event("Failed", null, Json.mapper().createObjectNode()));
    }

    private static String commandId(String sagaId, String step, String purpose) {
        return SagaDefinition.commandId(sagaId, step, purpose, 0);
    }

    private static Outgoing command(String sagaId, String step, String purpose) {
        String id = commandId(sagaId, step, purpose);
        ObjectNode json = Json.mapper()
                .createObjectNode()
                .put("step", step)
                .put("purpose", purpose)
                .put("commandId", id);
        return Outgoing.json(id, "saga.test.commands", sagaId, json.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static ObjectNode reply(String step) {
        return Json.mapper().createObjectNode().put("step", step);
    }

    private static EventEnvelope event(String type, String causation, JsonNode payload) {
        return new EventEnvelope(
                UUID.randomUUID(), type, "test", "s-1", null, Instant.EPOCH, null, causation, null, payload);
    }

    private static List<String> indexKeys(TopologyTestDriver driver, SagaDefinition definition) {
        List<String> keys = new ArrayList<>();
        try (KeyValueIterator<String, String> it = driver.<String, String>getKeyValueStore(definition.deadlinesStore())
                .all()) {
            it.forEachRemaining(entry -> keys.add(entry.key));
        }
        return keys;
    }

    private static SagaState state(TopologyTestDriver driver, SagaDefinition definition) {
        KeyValueStore<String, SagaState> states = driver.getKeyValueStore(definition.statesStore());
        return states.get("s-1");
    }

    private static Topology topology(SagaDefinition definition) {
        StreamsBuilder builder = new StreamsBuilder();
        SagaTopology.build(
                builder,
                definition,
                builder.stream("saga.test.in", Consumed.with(Serdes.String(), EventEnvelopeSerde.inHeaders())),
                new TopicSpec<>(
                        "saga.test.outcomes",
                        Serdes.String(),
                        EventEnvelopeSerde.inHeaders(),
                        1,
                        CleanupPolicy.DELETE,
                        Optional.empty()),
                Duration.ofMillis(100));
        return builder.build();
    }

    private static Properties props(Path dir) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "saga-properties");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, dir.toString());
        return props;
    }
}
