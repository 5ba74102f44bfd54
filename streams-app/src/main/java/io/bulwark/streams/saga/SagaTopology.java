package io.bulwark.streams.saga;

import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.TopicSpec;
import io.bulwark.streams.saga.internal.OutgoingSerializer;
import io.bulwark.streams.saga.internal.SagaEngine;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;

/**
 * Wires a {@link SagaDefinition}: triggers and replies keyed by saga id in, commands and outcomes out.
 * Each saga is a state machine per saga id, kept in a RocksDB store ({@link SagaDefinition#statesStore})
 * and driven by the trigger event, the participants' replies, and a wall-clock punctuator over a deadline
 * index ({@link SagaDefinition#deadlinesStore}, keyed by deadline then saga id, so each run reads only the
 * due entries — never a scan of all sagas). Deadlines are judged on the wall clock while the task keeps up
 * with its input, and on its stream time (at most five minutes behind) while it works through a backlog: a
 * reply written before the deadline and waiting unread still counts. What the definition's functions build
 * is stamped with the processor's time ({@link SagaContext#now}).
 *
 * <ul>
 *   <li>Steps run one after the other, except that a step {@linkplain SagaStep#withPrevious() sent with the
 *       previous one} forms a stage with it: their commands go out together and the saga moves on when all of
 *       them succeeded.</li>
 *   <li>A reply counts only if its causation id is a command the current stage still waits for;
 *       duplicates and late replies (for an earlier step, or after the end) are ignored.</li>
 *   <li>A reply for a saga that does not exist throws {@link UnknownSagaException}: the configured
 *       processing handler dead-letters it.</li>
 *   <li>Deadlines and retryable failures re-send the stage's pending commands (same ids, so
 *       participants answer them once) until {@code maxAttempts}; then the saga compensates.</li>
 *   <li>Compensation issues the compensations of every step whose commands were sent (the failing
 *       one included: its late successes must be undone too), in reverse order, each once; a step
 *       without a compensation leaves the saga {@code FAILED_NEEDS_ATTENTION}. Every saga ends in a
 *       terminal state and emits its outcome.</li>
 *   <li>A late success (a reply after the saga ended) needs nothing more: the compensation of its step
 *       was already sent, after its command, on the same key, so the participant applies it after the
 *       success and exactly once.</li>
 *   <li>The definition's cancel event compensates a running saga the same way and ends it
 *       {@code CANCELLED}; after the end it changes nothing; before the trigger it ends the saga
 *       {@code CANCELLED} with nothing to undo, so the trigger that follows starts nothing.</li>
 *   <li>When every step succeeded, each step's completion commands are sent (e.g. turn a reservation
 *       into a sale) with the outcome.</li>
 *   <li><b>Bounded:</b> a terminal saga stays queryable for {@code retention}, then is deleted (a
 *       tombstone in its changelog) through the same deadline index. A reply for a deleted saga is
 *       dead-lettered as unknown; the trigger's dedup window must not outlive the retention, or a
 *       re-delivered trigger would start the saga again (checked by the app's config).</li>
 * </ul>
 */
public final class SagaTopology {

    private SagaTopology() {}

    /** How long a terminal saga stays queryable unless the caller says otherwise. */
    public static final Duration DEFAULT_RETENTION = Duration.ofDays(7);

    public static void build(
            StreamsBuilder builder,
            SagaDefinition definition,
            KStream<String, EventEnvelope> inputs,
            TopicSpec<String, EventEnvelope> outcomes,
            Duration punctuateEvery) {
        build(builder, definition, inputs, outcomes, punctuateEvery, DEFAULT_RETENTION);
    }

    /** As above, deleting terminal sagas {@code retention} after they ended. */
    public static void build(
            StreamsBuilder builder,
            SagaDefinition definition,
            KStream<String, EventEnvelope> inputs,
            TopicSpec<String, EventEnvelope> outcomes,
            Duration punctuateEvery,
            Duration retention) {
        sent(builder, definition, inputs, outcomes, punctuateEvery, retention);
    }

    /**
     * As {@link #build(StreamsBuilder, SagaDefinition, KStream, TopicSpec, Duration, Duration)}, and returns the
     * outcomes the saga sends to {@code outcomes} as it sends them: in its own task, in the transaction that
     * writes them. A read model kept in the same sub-topology takes them from here instead of reading them back
     * from the topic, which costs the saga's commit and one more poll before the outcome is visible.
     *
     * <p>A downstream processor that also takes other records the saga reads must be attached to them
     * <em>before</em> this is called: Kafka Streams forwards a record to its children in the order they were
     * added, so one added after the saga would get an input record after the outcome that record caused.
     */
    public static KStream<String, EventEnvelope> buildWithOutcomes(
            StreamsBuilder builder,
            SagaDefinition definition,
            KStream<String, EventEnvelope> inputs,
            TopicSpec<String, EventEnvelope> outcomes,
            Duration punctuateEvery,
            Duration retention) {
        return sent(builder, definition, inputs, outcomes, punctuateEvery, retention)
                .flatMapValues(
                        outgoing -> outgoing.topic().equals(outcomes.name()) && outgoing.envelope() != null
                                ? List.of(outgoing.envelope())
                                : List.of(),
                        Named.as("saga-" + definition.name() + "-outcomes"));
    }

    /** Adds the saga and its sink; returns what it sends. */
    private static KStream<String, Outgoing> sent(
            StreamsBuilder builder,
            SagaDefinition definition,
            KStream<String, EventEnvelope> inputs,
            TopicSpec<String, EventEnvelope> outcomes,
            Duration punctuateEvery,
            Duration retention) {
        SagaEngine.stores(definition).forEach(builder::addStateStore);
        KStream<String, Outgoing> sent = inputs.process(
                () -> new SagaEngine(definition, outcomes.name(), punctuateEvery, retention),
                Named.as("saga-" + definition.name()),
                definition.statesStore(),
                definition.deadlinesStore());
        sent.to(
                (key, outgoing, context) -> outgoing.topic(),
                Produced.with(Serdes.String(), Serdes.serdeFrom(new OutgoingSerializer(), (topic, bytes) -> {
                            throw new SerializationException("Saga output is never read back");
                        }))
                        .withName("saga-" + definition.name() + "-sink"));
        return sent;
    }
}
