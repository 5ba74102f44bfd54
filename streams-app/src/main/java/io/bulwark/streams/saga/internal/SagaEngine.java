package io.bulwark.streams.saga.internal;

import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.JsonSerde;
import io.bulwark.streams.saga.Outcome;
import io.bulwark.streams.saga.Outgoing;
import io.bulwark.streams.saga.SagaContext;
import io.bulwark.streams.saga.SagaDefinition;
import io.bulwark.streams.saga.SagaState;
import io.bulwark.streams.saga.SagaState.Status;
import io.bulwark.streams.saga.SagaStep;
import io.bulwark.streams.saga.UnknownSagaException;
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
 * The processor that runs sagas of one {@link SagaDefinition}: a state machine per saga id, kept in the
 * definition's states store and driven by the trigger, the participants' replies, and a wall-clock
 * punctuator over the deadline index (keyed by deadline then saga id, so each run reads only the due
 * entries — never a scan of all sagas), which judges deadlines on {@link #deadlineClock}. Its rules are
 * {@link SagaTopology}'s; wire it through there.
 */
public final class SagaEngine implements Processor<String, EventEnvelope, String, Outgoing> {

    private static final JsonSerde<SagaState> STATE_SERDE = JsonSerde.of(SagaState.class);

    /**
     * How far behind the wall clock a busy task may judge deadlines: a bound for inputs whose timestamps lag
     * for another reason than the task's backlog (a producer that stamps records with old times).
     */
    private static final Duration MAX_DEFERRAL = Duration.ofMinutes(5);

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

    /**
     * The deadline under which the loaded saga is in the deadline index, -1 for none: its stored deadline, or -1
     * once {@link #expire} took the entry out. {@link #save} writes the index only when this differs from the
     * new deadline: a reply that leaves the deadline as it was (one of a stage's two replies) wrote the same index
     * entry again, a changelog record per order for nothing (benchmarks/PROFILES.md, twenty-first round).
     */
    private long loadedIndexedDeadline = -1;

    /** Wall-clock time at which this task last processed a record; -1 before its first. */
    private long lastRecordAtMs = -1;

    public SagaEngine(SagaDefinition definition, String outcomesTopic, Duration punctuateEvery, Duration retention) {
        this.definition = definition;
        this.outcomesTopic = outcomesTopic;
        this.punctuateEvery = punctuateEvery;
        this.retention = retention;
    }

    public static List<StoreBuilder<?>> stores(SagaDefinition definition) {
        return List.of(
                Stores.keyValueStoreBuilder(
                        Stores.persistentKeyValueStore(definition.statesStore()), Serdes.String(), STATE_SERDE),
                Stores.keyValueStoreBuilder(
                        Stores.persistentKeyValueStore(definition.deadlinesStore()), Serdes.String(), Serdes.String()));
    }

    @Override
    public void init(ProcessorContext<String, Outgoing> context) {
        this.context = context;
        this.states = context.getStateStore(definition.statesStore());
        this.deadlines = new ExpiryIndex(context.getStateStore(definition.deadlinesStore()));
        context.schedule(punctuateEvery, PunctuationType.WALL_CLOCK_TIME, this::expire);
    }

    @Override
    public void process(Record<String, EventEnvelope> record) {
        lastRecordAtMs = context.currentSystemTimeMs();
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
        SagaStep step = null;
        Outcome outcome = null;
        for (int i = state.step(), end = definition.stageEnd(state.step()); i < end && step == null; i++) {
            SagaStep candidate = definition.steps().get(i);
            Outcome read = candidate.onReply().apply(state.trigger(), event);
            if (!(read instanceof Outcome.NotMine)) {
                step = candidate;
                outcome = read;
            }
        }
        if (step == null) {
            return; // a reply none of the current steps reads
        }
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
            SagaState cancelled = new SagaState(
                    sagaId,
                    definition.name(),
                    Status.CANCELLED,
                    0,
                    Set.of(),
                    0,
                    now + retention.toMillis(),
                    List.of(),
                    List.of(),
                    reason,
                    request.payload(),
                    List.of(request.type() + " " + request.eventId() + " before the trigger; ended CANCELLED"));
            forward(Outgoing.envelope(
                    outcomesTopic,
                    sagaId,
                    definition
                            .onCancelled()
                            .create(
                                    new SagaContext(sagaId, request.payload(), Instant.ofEpochMilli(now)),
                                    reason,
                                    Status.CANCELLED)));
            save(cancelled);
        } else if (!state.terminal()) {
            compensate(state, reason, now, true);
        }
    }

    private void start(String sagaId, EventEnvelope trigger) {
        SagaState state = new SagaState(
                sagaId,
                definition.name(),
                Status.RUNNING,
                0,
                Set.of(),
                0,
                -1,
                List.of(),
                List.of(),
                null,
                trigger.payload(),
                List.of("started by " + trigger.type() + " " + trigger.eventId()));
        send(state, context.currentSystemTimeMs(), true);
    }

    /**
     * Sends the current stage's commands — the current step's and those of the steps that go with it (all of them
     * the first time; the still pending ones on a re-send).
     */
    private void send(SagaState state, long now, boolean first) {
        Set<String> pending = first ? new HashSet<>() : state.pending();
        List<String> sent = new ArrayList<>();
        long timeout = 0;
        for (SagaStep step : stage(state)) {
            List<Outgoing> commands = step.action().apply(context(state, now));
            if (first) {
                commands.forEach(c -> pending.add(c.commandId()));
            }
            List<Outgoing> due = commands.stream()
                    .filter(c -> pending.contains(c.commandId()))
                    .toList();
            due.forEach(this::forward);
            if (first || !due.isEmpty()) {
                sent.add(step.name());
            }
            timeout = Math.max(timeout, step.timeout().toMillis());
        }
        int attempts = state.attempts() + 1;
        save(with(state, state.step(), pending, attempts, now + timeout)
                .log((first ? "send " : "re-send ") + String.join(" + ", sent) + " (attempt " + attempts + ")"));
    }

    /** The steps whose commands the saga is waiting for: the current one and those that go with it. */
    private List<SagaStep> stage(SagaState state) {
        return definition.steps().subList(state.step(), definition.stageEnd(state.step()));
    }

    private String stageName(SagaState state) {
        return names(stage(state));
    }

    /** Steps as history lines name them: "reserve-stock + authorize-payment". */
    private static String names(List<SagaStep> steps) {
        return String.join(" + ", steps.stream().map(SagaStep::name).toList());
    }

    /** The names of the current stage's steps that still have commands without a successful reply. */
    private String waitingFor(SagaState state, long now) {
        List<String> names = new ArrayList<>();
        for (SagaStep step : stage(state)) {
            if (step.action().apply(context(state, now)).stream()
                    .anyMatch(c -> state.pending().contains(c.commandId()))) {
                names.add(step.name());
            }
        }
        return names.isEmpty() ? stageName(state) : String.join(" + ", names);
    }

    private void succeeded(SagaState state, SagaStep step, String commandId, long now) {
        Set<String> pending = new HashSet<>(state.pending());
        pending.remove(commandId);
        List<String> touched = new ArrayList<>(state.touched());
        if (!touched.contains(step.name())) {
            touched.add(step.name());
        }
        SagaState updated = new SagaState(
                state.sagaId(),
                state.definition(),
                state.status(),
                state.step(),
                pending,
                state.attempts(),
                state.deadlineMs(),
                touched,
                state.compensated(),
                state.reason(),
                state.trigger(),
                state.history());
        if (!pending.isEmpty()) {
            save(updated);
            return;
        }
        int next = nextStep(state.step(), touched);
        String finished = names(definition.steps().subList(state.step(), next));
        if (next < definition.steps().size()) {
            SagaState advanced = new SagaState(
                            updated.sagaId(),
                            updated.definition(),
                            Status.RUNNING,
                            next,
                            Set.of(),
                            0,
                            -1,
                            touched,
                            updated.compensated(),
                            null,
                            updated.trigger(),
                            updated.history())
                    .log(finished + " done");
            send(advanced, now, true);
            return;
        }
        for (SagaStep done : definition.steps()) {
            if (done.completion() != null) {
                done.completion().apply(context(state, now)).forEach(this::forward);
            }
        }
        forward(Outgoing.envelope(
                outcomesTopic, state.sagaId(), definition.onCompleted().apply(context(state, now))));
        save(new SagaState(
                        updated.sagaId(),
                        updated.definition(),
                        Status.COMPLETED,
                        state.step(),
                        Set.of(),
                        state.attempts(),
                        now + retention.toMillis(),
                        touched,
                        updated.compensated(),
                        null,
                        updated.trigger(),
                        updated.history())
                .log(finished + " done; completed"));
    }

    /**
     * Where a saga goes when nothing of its stage is pending: the stage's first step without a successful reply, or
     * else the step after the stage. The first is a state stored before its step was moved into a stage, whose
     * commands were therefore never sent — those are sent now rather than skipped.
     */
    private int nextStep(int from, List<String> touched) {
        int end = definition.stageEnd(from);
        for (int i = from; i < end; i++) {
            if (!touched.contains(definition.steps().get(i).name())) {
                return i;
            }
        }
        return end;
    }

    /**
     * Issues, in reverse order, the compensations of every step whose commands were sent — the current
     * stage's included, whether or not its replies came: a reply still on its way (a reservation made after
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
        for (int i = definition.stageEnd(state.step()) - 1; i >= 0; i--) {
            SagaStep step = definition.steps().get(i);
            String name = step.name();
            if (step.compensation() == null) {
                needsAttention = true;
                logged = logged.log("no compensation for " + name);
                continue;
            }
            step.compensation().apply(context(state, now)).forEach(this::forward);
            compensated.add(name);
            logged = logged.log("compensate " + name);
        }
        Status status =
                needsAttention ? Status.FAILED_NEEDS_ATTENTION : cancelled ? Status.CANCELLED : Status.COMPENSATED;
        SagaDefinition.TerminalEvent outcome =
                cancelled && !needsAttention ? definition.onCancelled() : definition.onFailed();
        forward(Outgoing.envelope(outcomesTopic, state.sagaId(), outcome.create(context(state, now), reason, status)));
        save(new SagaState(
                        state.sagaId(),
                        state.definition(),
                        status,
                        state.step(),
                        Set.of(),
                        state.attempts(),
                        now + retention.toMillis(),
                        state.touched(),
                        compensated,
                        reason,
                        state.trigger(),
                        logged.history())
                .log("ended " + status));
    }

    /**
     * Wall-clock punctuation: handles every saga whose deadline has passed at {@link #deadlineClock}, and only
     * those — a running saga's wait, or a terminal saga's retention (then it is deleted). Re-sent commands and
     * new deadlines still count from the wall clock, as everything the saga sends does.
     */
    private void expire(long now) {
        long judgedAt = deadlineClock(now);
        for (String sagaId : deadlines.takeDue(judgedAt)) {
            SagaState state = load(sagaId);
            if (state == null || state.deadlineMs() < 0 || state.deadlineMs() > judgedAt) {
                continue; // the entry taken was a stale one; the saga's current entry, if any, is still indexed
            }
            loadedIndexedDeadline = -1; // takeDue took this saga's current entry out of the index
            if (state.terminal()) {
                states.put(state.sagaId(), null); // not delete(): it would read the value first
                loaded = null;
                continue;
            }
            int maxAttempts =
                    stage(state).stream().mapToInt(SagaStep::maxAttempts).max().orElseThrow();
            if (state.attempts() < maxAttempts) {
                send(state, now, false);
            } else {
                compensate(
                        state,
                        waitingFor(state, now) + ": no reply after " + state.attempts() + " attempt(s)",
                        now,
                        false);
            }
        }
    }

    /**
     * The time deadlines are judged at: the wall clock while the task is idle (it processed nothing during the
     * last punctuation interval, so it has read what there was), and the task's stream time while it is busy —
     * never later than the wall clock, and never more than {@link #MAX_DEFERRAL} behind it. A task that is behind
     * on its input would otherwise time out sagas whose replies already wait on that input, unread, and under
     * overload every time-out adds compensations (or re-sends) to the same backlog. Commands carry the wall-clock
     * time they were sent at, and the inventory's replies carry their command's, so stream time passes a
     * deadline once the task has read what was written up to it.
     */
    private long deadlineClock(long wallMs) {
        boolean busy = lastRecordAtMs >= 0 && wallMs - lastRecordAtMs < punctuateEvery.toMillis();
        if (!busy) {
            return wallMs;
        }
        return Math.max(wallMs - MAX_DEFERRAL.toMillis(), Math.min(wallMs, context.currentStreamTimeMs()));
    }

    /** Reads a saga's state and remembers it as the stored one, which {@link #save} then need not read again. */
    private SagaState load(String sagaId) {
        SagaState state = states.get(sagaId);
        loaded = state;
        loadedId = sagaId;
        loadedIndexedDeadline = indexedDeadline(state);
        return state;
    }

    private void save(SagaState state) {
        long indexed =
                state.sagaId().equals(loadedId) ? loadedIndexedDeadline : indexedDeadline(states.get(state.sagaId()));
        if (indexed != state.deadlineMs()) {
            if (indexed >= 0) {
                deadlines.remove(state.sagaId(), indexed);
            }
            if (state.deadlineMs() >= 0) {
                deadlines.add(state.sagaId(), state.deadlineMs());
            }
        }
        states.put(state.sagaId(), state);
        loaded = state;
        loadedId = state.sagaId();
        loadedIndexedDeadline = indexedDeadline(state);
    }

    /** The deadline a stored state is indexed under (every save indexes its deadline), -1 for none. */
    private static long indexedDeadline(SagaState stored) {
        return stored == null || stored.deadlineMs() < 0 ? -1 : stored.deadlineMs();
    }

    /** Sends {@code outgoing} at the processor's time. */
    private void forward(Outgoing outgoing) {
        context.forward(new Record<>(outgoing.key(), outgoing, context.currentSystemTimeMs()));
    }

    /** What the definition's functions see: the saga, its trigger, and the processor's time. */
    private static SagaContext context(SagaState state, long now) {
        return new SagaContext(state.sagaId(), state.trigger(), Instant.ofEpochMilli(now));
    }

    private static SagaState with(SagaState s, int step, Set<String> pending, int attempts, long deadline) {
        return new SagaState(
                s.sagaId(),
                s.definition(),
                s.status(),
                step,
                pending,
                attempts,
                deadline,
                s.touched(),
                s.compensated(),
                s.reason(),
                s.trigger(),
                s.history());
    }
}
