package io.bulwark.topology.saga;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Which clock a saga's deadlines are judged by: a task busy with a backlog judges them on its stream time, so a
 * reply that waits unread on its input still counts; an idle task judges them on the wall clock, so a participant
 * that never answers still times the saga out; and a busy task whose input carries old timestamps defers its
 * deadlines by a bounded time only.
 */
class SagaDeadlineClockTest {

    private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");
    private static final Duration PUNCTUATION = Duration.ofMillis(100);
    private static final Duration STEP_TIMEOUT = Duration.ofSeconds(1);

    private final SagaDefinition definition = definition();
    private Path dir;
    private TopologyTestDriver driver;
    private TestInputTopic<String, EventEnvelope> in;
    private Instant wall = START;
    private int others;

    @BeforeEach
    void start() throws Exception {
        dir = Files.createTempDirectory("saga-clock");
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "saga-clock");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, dir.toString());
        StreamsBuilder builder = new StreamsBuilder();
        SagaTopology.build(
                builder,
                definition,
                builder.stream("saga.clock.in", Consumed.with(Serdes.String(), EventEnvelopeSerde.inHeaders())),
                new TopicSpec<>(
                        "saga.clock.outcomes",
                        Serdes.String(),
                        EventEnvelopeSerde.inHeaders(),
                        1,
                        CleanupPolicy.DELETE,
                        Optional.empty()),
                PUNCTUATION);
        driver = new TopologyTestDriver(builder.build(), props, START);
        in = driver.createInputTopic(
                "saga.clock.in",
                new StringSerializer(),
                EventEnvelopeSerde.inHeaders().serializer());
        in.pipeInput("s-1", event("s-1", "Started", null), START);
    }

    @AfterEach
    void stop() throws Exception {
        driver.close();
        Directories.deleteRecursively(dir);
    }

    @Test
    void shouldNotTimeOutWhileTheTaskIsBusyWithRecordsWrittenBeforeTheDeadline() {
        busyFor(STEP_TIMEOUT.multipliedBy(3), START.plusMillis(500));

        assertThat(state("s-1").status())
                .as("3 s of wall clock past a 1 s deadline, but the task has read only up to 0.5 s")
                .isEqualTo(SagaState.Status.RUNNING);

        in.pipeInput("s-1", event("s-1", "Done", commandId("s-1")), START.plusMillis(600));
        assertThat(state("s-1").status()).isEqualTo(SagaState.Status.COMPLETED);
    }

    @Test
    void shouldTimeOutOnStreamTimeWhileBusyOnceTheTaskHasReadPastTheDeadline() {
        busyFor(Duration.ofMillis(500), START.plusMillis(400));
        assertThat(state("s-1").status()).isEqualTo(SagaState.Status.RUNNING);

        busyFor(Duration.ofMillis(900), START.plus(STEP_TIMEOUT).plusMillis(100));

        SagaState ended = state("s-1");
        assertThat(ended.status()).isEqualTo(SagaState.Status.COMPENSATED);
        assertThat(ended.reason()).isEqualTo("work: no reply after 1 attempt(s)");
    }

    @Test
    void shouldTimeOutOnTheWallClockOnceTheTaskIsIdle() {
        busyFor(STEP_TIMEOUT.multipliedBy(2), START.plusMillis(500));
        assertThat(state("s-1").status()).isEqualTo(SagaState.Status.RUNNING);

        advance(PUNCTUATION.multipliedBy(2)); // nothing read for two punctuation intervals

        assertThat(state("s-1").status()).isEqualTo(SagaState.Status.COMPENSATED);
    }

    @Test
    void shouldDeferADeadlineByAtMostTheBoundWhenTheInputCarriesOldTimestamps() {
        Duration bound = Duration.ofMinutes(5);
        Instant old = START.minus(Duration.ofHours(1));

        busyFor(bound, old);
        assertThat(state("s-1").status())
                .as("the deadline is 1 s after the start: judged %s behind the wall clock, not due yet", bound)
                .isEqualTo(SagaState.Status.RUNNING);

        busyFor(STEP_TIMEOUT.plus(PUNCTUATION), old);
        assertThat(state("s-1").status()).isEqualTo(SagaState.Status.COMPENSATED);
    }

    /**
     * Advances the wall clock by {@code duration} in steps shorter than a punctuation interval, reading a trigger of
     * another saga stamped {@code timestamp} after each: a task working through a backlog.
     */
    private void busyFor(Duration duration, Instant timestamp) {
        Instant until = wall.plus(duration);
        while (wall.isBefore(until)) {
            advance(PUNCTUATION.minusMillis(10));
            String other = "other-" + others++;
            in.pipeInput(other, event(other, "Started", null), timestamp);
        }
    }

    private void advance(Duration duration) {
        wall = wall.plus(duration);
        driver.advanceWallClockTime(duration);
    }

    private SagaState state(String sagaId) {
        KeyValueStore<String, SagaState> states = driver.getKeyValueStore(definition.statesStore());
        return states.get(sagaId);
    }

    private static SagaDefinition definition() {
        SagaStep work = new SagaStep(
                "work",
                saga -> List.of(command(saga.sagaId(), "do")),
                saga -> List.of(command(saga.sagaId(), "undo")),
                (trigger, reply) -> reply.type().equals("Done") ? new Outcome.Succeeded() : new Outcome.NotMine(),
                STEP_TIMEOUT,
                1,
                Duration.ofMillis(100));
        return new SagaDefinition(
                "clock",
                "Started",
                List.of(work),
                saga -> event(saga.sagaId(), "Completed", null),
                (saga, reason, status) -> event(saga.sagaId(), "Failed", null));
    }

    private static String commandId(String sagaId) {
        return SagaDefinition.commandId(sagaId, "work", "do", 0);
    }

    private static Outgoing command(String sagaId, String purpose) {
        String id = SagaDefinition.commandId(sagaId, "work", purpose, 0);
        JsonNode json = Json.mapper().createObjectNode().put("purpose", purpose).put("commandId", id);
        return Outgoing.json(id, "saga.clock.commands", sagaId, json.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static EventEnvelope event(String sagaId, String type, String causation) {
        return new EventEnvelope(
                UUID.randomUUID(),
                type,
                "test",
                sagaId,
                null,
                START,
                null,
                causation,
                null,
                Json.mapper().createObjectNode());
    }
}
