package io.bulwark.streams.saga;

import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.JsonSerde;
import io.bulwark.streams.saga.SagaState.Status;
import io.bulwark.streams.state.ExpiryIndex;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * Runs sagas of one {@link SagaDefinition}: a state machine per saga id, kept in a RocksDB store
 * ({@link #statesStore}) and driven by the trigger event, the participants' replies, and a
 * wall-clock punctuator over a deadline index ({@link #deadlinesStore}, keyed by deadline then saga
 * id, so each run reads only the due entries — never a scan of all sagas).
 *
 * <ul>
 *   <li>A reply counts only if its causation id is a command the current step still waits for;
 *       duplicates and late replies (for an earlier step, or after the end) are ignored.</li>
 *   <li>A reply for a saga that does not exist throws {@link UnknownSagaException}: the configured
 *       processing handler dead-letters it.</li>
 *   <li>Deadlines and retryable failures re-send the step's pending commands (same ids, so
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
public final class SagaEngine implements Processor<String, EventEnvelope, String, Outgoing> {

    private static final JsonSerde<SagaState> STATE_SERDE = JsonSerde.of(SagaState.class);

    private final SagaDefinition definition;
    private final String outcomesTopic;
    private final Duration punctuateEvery;
    private final Duration retention;
    private ProcessorContext<String, Outgoing> context;
    private KeyValueStore<String, SagaState> states;
    private ExpiryIndex deadlines;
    /**
     * The stored state of the saga being handled ({@code null}: none stored), read once per record or due
     * deadline: {@link #save} needs its deadline, and reading and parsing it again cost ~4% of the stream thread.
     */
    private SagaState loaded;
    private String loadedId;

    public SagaEngine(SagaDefinition definition, String outcomesTopic, Duration punctuateEvery, Duration retention) {
        this.definition = definition;
        this.outcomesTopic = outcomesTopic;
        this.punctuateEvery = punctuateEvery;
        this.retention = retention;
    }

    public static String statesStore(SagaDefinition definition) {
        return "saga-" + definition.name() + "-states";
    }

    public static String deadlinesStore(SagaDefinition definition) {
        return "saga-" + definition.name() + "-deadlines";
    }

    public static List<StoreBuilder<?>> stores(SagaDefinition definition) {
        return List.of(
                Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(statesStore(definition)), Serdes.String(),
                        STATE_SERDE),
                Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(deadlinesStore(definition)), Serdes.String(),
                        Serdes.String()));
    }

    @Override
    public void init(ProcessorContext<String, Outgoing> context) {
        this.context = context;
        this.states = context.getStateStore(statesStore(definition));
        this.deadlines = new ExpiryIndex(context.getStateStore(deadlinesStore(definition)));
        context.schedule(punctuateEvery, PunctuationType.WALL_CLOCK_TIME, this::expire);
    }

    @Override
    public void process(Record<String, EventEnvelope> record) {
        EventEnvelope event = record.value();
        if (event == null) {
            return;
        }
        String sagaId = record.key();
        SagaState state = load(sagaId);
        if (definition.triggerType().equals(event.type())) {
            if (state == null) {
                start(sagaId, event);
            }
            return; // a repeated trigger starts nothing
        }
        if (event.type().equals(definition.cancelType())) {
            cancel(sagaId, state, event);
            return;
        }
        if (state == null) {
            throw new UnknownSagaException(sagaId, event.type(), event.eventId().toString());
        }
        if (state.terminal() || event.causationId() == null || !state.pending().contains(event.causationId())) {
            return; // duplicate or late reply
        }
        SagaStep step = definition.steps().get(state.step());
        Outcome outcome = step.onReply().apply(state.trigger(), event);
        long now = context.currentSystemTimeMs();
        if (outcome instanceof Outcome.Succeeded) {
            succeeded(state, step, event.causationId(), now);
        } else if (outcome instanceof Outcome.Failed failed) {
            compensate(state, step.name() + ": " + failed.reason(), now, false);
        } else if (outcome instanceof Outcome.Retry retry) {
            long backoff = step.retryBackoff().toMillis() << Math.min(20, Math.max(0, state.attempts() - 1));
            save(with(state, state.step(), state.pending(), state.attempts(), now + backoff)
                    .log("retry " + step.name() + " after " + backoff + " ms: " + retry.reason()));
        }
    }

    private void cancel(String sagaId, SagaState state, EventEnvelope request) {
        String reason = "cancelled: " + request.payload().path("reason").asText("no reason given");
        long now = context.currentSystemTimeMs();
        if (state == null) {
            SagaState cancelled = new SagaState(sagaId, definition.name(), Status.CANCELLED, 0, Set.of(), 0,
                    now + retention.toMillis(), List.of(), List.of(), reason, request.payload(),
                    List.of(request.type() + " " + request.eventId() + " before the trigger; ended CANCELLED"));
            forward(Outgoing.envelope(outcomesTopic, sagaId,
                    definition.onCancelled().create(sagaId, request.payload(), reason, Status.CANCELLED)));
            save(cancelled);
        } else if (!state.terminal()) {
            compensate(state, reason, now, true);
        }
    }

    private void start(String sagaId, EventEnvelope trigger) {
        SagaState state = new SagaState(sagaId, definition.name(), Status.RUNNING, 0, Set.of(), 0, -1, List.of(),
                List.of(), null, trigger.payload(), List.of("started by " + trigger.type() + " " + trigger.eventId()));
        send(state, context.currentSystemTimeMs(), true);
    }

    /** Sends the current step's commands (all of them first time; the still pending ones on a re-send). */
    private void send(SagaState state, long now, boolean first) {
        SagaStep step = definition.steps().get(state.step());
        List<Outgoing> commands = step.action().apply(state.sagaId(), state.trigger());
        Set<String> pending = first ? ids(commands) : state.pending();
        commands.stream().filter(c -> pending.contains(c.commandId())).forEach(this::forward);
        int attempts = state.attempts() + 1;
        save(with(state, state.step(), pending, attempts, now + step.timeout().toMillis())
                .log((first ? "send " : "re-send ") + step.name() + " (attempt " + attempts + ")"));
    }

    private void succeeded(SagaState state, SagaStep step, String commandId, long now) {
        Set<String> pending = new HashSet<>(state.pending());
        pending.remove(commandId);
        List<String> touched = new ArrayList<>(state.touched());
        if (!touched.contains(step.name())) {
            touched.add(step.name());
        }
        SagaState updated = new SagaState(state.sagaId(), state.definition(), state.status(), state.step(), pending,
                state.attempts(), state.deadlineMs(), touched, state.compensated(), state.reason(), state.trigger(),
                state.history());
        if (!pending.isEmpty()) {
            save(updated);
            return;
        }
        int next = state.step() + 1;
        if (next < definition.steps().size()) {
            SagaState advanced = new SagaState(updated.sagaId(), updated.definition(), Status.RUNNING, next, Set.of(), 0,
                    -1, touched, updated.compensated(), null, updated.trigger(), updated.history())
                    .log(step.name() + " done");
            send(advanced, now, true);
            return;
        }
        for (SagaStep done : definition.steps()) {
            if (done.completion() != null) {
                done.completion().apply(state.sagaId(), state.trigger()).forEach(this::forward);
            }
        }
        forward(Outgoing.envelope(outcomesTopic, state.sagaId(),
                definition.onCompleted().apply(state.sagaId(), state.trigger())));
        save(new SagaState(updated.sagaId(), updated.definition(), Status.COMPLETED, state.step(),
                Set.of(), state.attempts(), now + retention.toMillis(), touched, updated.compensated(), null,
                updated.trigger(), updated.history()).log(step.name() + " done; completed"));
    }

    /**
     * Issues, in reverse order, the compensations of every step whose commands were sent — the current
     * one included, whether or not its replies came: a reply still on its way (a reservation made after
     * another line was refused, an authorization that outlived the step's timeout) is undone by the
     * compensation that follows its command on the same key. Compensations are idempotent at the
     * participants (releasing what is not held, voiding what is not authorized, changes nothing), so
     * compensating a step that never took effect is harmless. Then ends the saga ({@code CANCELLED}
     * when a cancel asked for it).
     */
    private void compensate(SagaState state, String reason, long now, boolean cancelled) {
        List<String> compensated = new ArrayList<>(state.compensated());
        boolean needsAttention = false;
        SagaState logged = state.log("compensating: " + reason);
        for (int i = Math.min(state.step(), definition.steps().size() - 1); i >= 0; i--) {
            SagaStep step = definition.steps().get(i);
            String name = step.name();
            if (step.compensation() == null) {
                needsAttention = true;
                logged = logged.log("no compensation for " + name);
                continue;
            }
            step.compensation().apply(state.sagaId(), state.trigger()).forEach(this::forward);
            compensated.add(name);
            logged = logged.log("compensate " + name);
        }
        Status status = needsAttention ? Status.FAILED_NEEDS_ATTENTION
                : cancelled ? Status.CANCELLED : Status.COMPENSATED;
        SagaDefinition.TerminalEvent outcome = cancelled && !needsAttention ? definition.onCancelled()
                : definition.onFailed();
        forward(Outgoing.envelope(outcomesTopic, state.sagaId(),
                outcome.create(state.sagaId(), state.trigger(), reason, status)));
        save(new SagaState(state.sagaId(), state.definition(), status, state.step(), Set.of(),
                state.attempts(), now + retention.toMillis(), state.touched(), compensated, reason, state.trigger(),
                logged.history()).log("ended " + status));
    }

    /**
     * Wall-clock punctuation: handles every saga whose deadline has passed, and only those — a running
     * saga's wait, or a terminal saga's retention (then it is deleted).
     */
    private void expire(long now) {
        for (String sagaId : deadlines.takeDue(now)) {
            SagaState state = load(sagaId);
            if (state == null || state.deadlineMs() < 0 || state.deadlineMs() > now) {
                continue;
            }
            if (state.terminal()) {
                states.delete(state.sagaId());
                loaded = null;
                continue;
            }
            SagaStep step = definition.steps().get(state.step());
            if (state.attempts() < step.maxAttempts()) {
                send(state, now, false);
            } else {
                compensate(state, step.name() + ": no reply after " + state.attempts() + " attempt(s)", now, false);
            }
        }
    }

    /** Reads a saga's state and remembers it as the stored one, which {@link #save} then need not read again. */
    private SagaState load(String sagaId) {
        SagaState state = states.get(sagaId);
        loaded = state;
        loadedId = sagaId;
        return state;
    }

    private void save(SagaState state) {
        SagaState previous = state.sagaId().equals(loadedId) ? loaded : states.get(state.sagaId());
        if (previous != null && previous.deadlineMs() >= 0 && previous.deadlineMs() != state.deadlineMs()) {
            deadlines.remove(previous.sagaId(), previous.deadlineMs());
        }
        if (state.deadlineMs() >= 0) {
            deadlines.add(state.sagaId(), state.deadlineMs());
        }
        states.put(state.sagaId(), state);
        loaded = state;
        loadedId = state.sagaId();
    }

    /** Sends {@code outgoing}; an envelope is stamped with the processor's clock (the definition's is not used). */
    private void forward(Outgoing outgoing) {
        long now = context.currentSystemTimeMs();
        EventEnvelope e = outgoing.envelope();
        Outgoing stamped = e == null ? outgoing : Outgoing.envelope(outgoing.topic(), outgoing.key(),
                new EventEnvelope(e.eventId(), e.type(), e.aggregateType(), e.aggregateId(), e.aggregateVersion(),
                        Instant.ofEpochMilli(now), e.correlationId(), e.causationId(), e.traceparent(), e.payload()));
        context.forward(new Record<>(outgoing.key(), stamped, now));
    }

    private static SagaState with(SagaState s, int step, Set<String> pending, int attempts, long deadline) {
        return new SagaState(s.sagaId(), s.definition(), s.status(), step, pending, attempts, deadline, s.touched(),
                s.compensated(), s.reason(), s.trigger(), s.history());
    }

    private static Set<String> ids(List<Outgoing> commands) {
        Set<String> ids = new HashSet<>();
        commands.forEach(c -> ids.add(c.commandId()));
        return ids;
    }
}
