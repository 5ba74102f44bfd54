package io.bulwark.streams.aggregate.inventory;

import com.fasterxml.jackson.databind.JsonNode;
import io.bulwark.schemas.CompactSerde;
import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.EventEnvelopeSerde;
import io.bulwark.schemas.Json;
import io.bulwark.schemas.JsonSerde;
import io.bulwark.schemas.TopicSpec;
import io.bulwark.streams.aggregate.Decision;
import io.bulwark.streams.intake.KeyedInput;
import io.bulwark.streams.intake.Rekeyed;
import io.bulwark.streams.state.RollingSweep;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * The inventory item aggregate as a topology: commands in ({@code bulwark.inventory.commands}, keyed
 * by SKU), events out ({@code bulwark.inventory.events}), state in a RocksDB store whose changelog is
 * the snapshot.
 *
 * <p>For each command: a command id answered before (within {@code commandRetention} of this command's
 * timestamp) gets its first answer again — the same events with the same ids, nothing applied twice; otherwise
 * {@link InventoryBehavior#decide} runs against the stored item, accepted events are applied,
 * versioned ({@code aggregateVersion} = the item's version after the event) and published with the
 * command id as causation id; a refusal is published as {@code InventoryCommandRejected}, which
 * changes neither state nor version. Under exactly-once the state, the remembered answer and the
 * events commit together.
 *
 * <p><b>The items store is cached</b> (Kafka Streams' record cache): a busy item is read from memory and
 * reaches RocksDB and its changelog once per commit, however many commands changed it in between — each
 * order changes its items twice (reserve, then commit or release). Only this store: the answers and the
 * expiry index are keyed by new command ids, which a cache cannot serve, and filling the shared cache with
 * them makes every eviction flush a whole store (benchmarks/PROFILES.md, 2026-11-28 and 2026-12-03).
 *
 * <p><b>Remembered answers</b> live in a key-value store keyed by command id (a point look-up, with
 * RocksDB's bloom filters), as {@link StoredAnswer}s: the command's time, then the events as JSON, parsed only
 * when a retry needs them. A {@link RollingSweep} reads a slice of the store each minute of stream time, the
 * whole store once per retention, and deletes the answers more than a retention old: an answer goes between one
 * and two retentions after its command, so the store holds at most two retentions' worth; one kept past its
 * retention is not replayed (the processor compares the times itself). Until 2026-12-05 an expiry index
 * ({@code inventory-answers-expiry}) removed each answer right at its retention, for one more put and changelog
 * record per command (PROFILES.md, 2026-12-05): its store left the topology, and its changelog topic can be
 * deleted.
 *
 * <p><b>Rebuilding.</b> The event topic is the record: {@link #replay} folds it into the items, equal
 * to the store (tested), and {@link InventoryRebuild} is the command that does it against a broker
 * ({@code java -cp … io.bulwark.streams.aggregate.inventory.InventoryRebuild host:port} prints the
 * rebuilt items). The store itself is restored from its changelog (the snapshot); to rebuild it from
 * the events instead, stop the app, delete its state directory and the
 * {@code <application.id>-inventory-items-changelog} topic, and restock each item to the rebuilt
 * level under a new application id.
 */
public final class InventoryAggregate {

    /** The aggregate type of the events this aggregate publishes ({@code bulwark.inventory.events}). */
    public static final String AGGREGATE_TYPE = "inventory";

    /** The name prefix of {@link #eventsByOrder}'s nodes and topic (see there). */
    private static final String BY_ORDER = "read-order-status";

    public static final String ITEMS_STORE = "inventory-items";
    /**
     * Remembered answers by command id. Until 2026-11-28 a window store named
     * {@code inventory-command-answers}; the new name keeps its old changelog from being restored into a
     * key-value store (an upgrade forgets the answers of the last retention: a command retried across it
     * is decided again).
     */
    public static final String ANSWERS_STORE = "inventory-answers";

    private static final Duration SWEEP_EVERY = Duration.ofMinutes(1);
    public static final Duration DEFAULT_COMMAND_RETENTION = Duration.ofHours(24);

    static final InventoryBehavior BEHAVIOR = new InventoryBehavior();
    private static final JsonSerde<InventoryCommand> COMMANDS = JsonSerde.of(InventoryCommand.class);
    /**
     * Items in the {@link CompactSerde} form: every command reads and writes its item, whose reservations grow
     * with the orders in flight, and as JSON that was 17% of the aggregate's stream thread (PROFILES.md,
     * 2026-12-02). Stores written as JSON before still restore.
     */
    static final Serde<InventoryItem> ITEMS = CompactSerde.of(
            InventoryItem.class,
            item -> CompactSerde.sizeOf(item.sku()) + 8 + 8 + item.held().serializedSize(),
            (item, out) -> {
                CompactSerde.putString(out, item.sku());
                out.putLong(item.version()).putLong(item.available());
                item.held().write(out);
            },
            in -> new InventoryItem(CompactSerde.getString(in), in.getLong(), in.getLong(), Reservations.read(in)));

    private InventoryAggregate() {}

    /** Adds the aggregate; returns its event stream (also written to {@code events}) for projections. */
    public static KStream<String, EventEnvelope> build(
            StreamsBuilder builder,
            TopicSpec<String, byte[]> commands,
            TopicSpec<String, EventEnvelope> events,
            Duration commandRetention) {
        builder.addStateStore(
                Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(ITEMS_STORE), Serdes.String(), ITEMS)
                        .withCachingEnabled());
        builder.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(ANSWERS_STORE), Serdes.String(), StoredAnswer.SERDE));
        KStream<String, InventoryCommand> in = builder.stream(
                commands.name(), Consumed.with(commands.keySerde(), COMMANDS).withName("inventory-commands"));
        KStream<String, EventEnvelope> out = KeyedInput.routed(in, commands, COMMANDS, "inventory-commands-routed")
                .process(
                        () -> new CommandProcessor(commandRetention.toMillis()),
                        Named.as("inventory-decide"),
                        ITEMS_STORE,
                        ANSWERS_STORE);
        out.to(
                events.name(),
                Produced.with(events.keySerde(), events.valueSerde()).withName("inventory-events-sink"));
        return out;
    }

    /**
     * This aggregate's events that name an order (their correlation id), re-keyed by it and repartitioned, so
     * each reaches the task of its order: the order saga's replies and the order status's stock steps, through
     * one topic. Its nodes and topic keep the {@code read-order-status-*} names they had when only that read
     * model used it — renaming would strand what is in the topic at an upgrade.
     */
    public static KStream<String, EventEnvelope> eventsByOrder(KStream<String, EventEnvelope> events) {
        // The values are whole envelopes (JSON), so the records need no headers on this topic (Rekeyed).
        return Rekeyed.by(
                        events.filter((sku, e) -> e.correlationId() != null, Named.as(BY_ORDER + "-correlated")),
                        (sku, e) -> e.correlationId(),
                        Named.as(BY_ORDER + "-by-order"))
                .repartition(Repartitioned.<String, EventEnvelope>as(BY_ORDER + "-grouped")
                        .withKeySerde(Serdes.String())
                        .withValueSerde(EventEnvelopeSerde.asJson()));
    }

    /**
     * Folds inventory event envelopes, in topic order, into items by SKU. A repeated event id (a
     * command retried and answered again) is applied once, as every consumer of the topic must.
     */
    public static Map<String, InventoryItem> replay(List<EventEnvelope> envelopes) {
        Map<String, InventoryItem> items = new TreeMap<>();
        Set<UUID> seen = new HashSet<>();
        for (EventEnvelope envelope : envelopes) {
            if (!seen.add(envelope.eventId())) {
                continue;
            }
            InventoryItem item = items.getOrDefault(envelope.aggregateId(), BEHAVIOR.initial(envelope.aggregateId()));
            items.put(envelope.aggregateId(), BEHAVIOR.apply(item, toEvent(envelope.payload())));
        }
        return items;
    }

    static InventoryEvent toEvent(JsonNode payload) {
        try {
            return Json.mapper().treeToValue(payload, InventoryEvent.class);
        } catch (IOException e) {
            throw new UncheckedIOException("Not an inventory event: " + payload, e);
        }
    }

    static final class CommandProcessor implements Processor<String, InventoryCommand, String, EventEnvelope> {
        private final long retentionMs;
        private ProcessorContext<String, EventEnvelope> context;
        private KeyValueStore<String, InventoryItem> items;
        private KeyValueStore<String, StoredAnswer> answers;
        private RollingSweep<StoredAnswer> answersSweep;

        CommandProcessor(long retentionMs) {
            this.retentionMs = retentionMs;
        }

        @Override
        public void init(ProcessorContext<String, EventEnvelope> context) {
            this.context = context;
            this.items = context.getStateStore(ITEMS_STORE);
            this.answers = context.getStateStore(ANSWERS_STORE);
            // Due once stream time is past the retention: a retry exactly one retention later still gets the answer.
            this.answersSweep = new RollingSweep<>(
                    answers,
                    Duration.ofMillis(retentionMs),
                    SWEEP_EVERY,
                    answer -> answer.answeredAtMs() + retentionMs + 1);
            answersSweep.scheduleOn(context);
        }

        @Override
        public void process(Record<String, InventoryCommand> record) {
            InventoryCommand command = record.value();
            if (command == null) {
                return;
            }
            String commandId = command.commandId().toString();
            long ts = record.timestamp();
            StoredAnswer previous = answers.get(commandId);
            if (previous != null && Math.abs(ts - previous.answeredAtMs()) <= retentionMs) {
                previous.events().forEach(e -> context.forward(new Record<>(command.sku(), e, ts)));
                return;
            }
            InventoryItem item = items.get(command.sku());
            if (item == null) {
                item = BEHAVIOR.initial(command.sku());
            }
            Decision<InventoryEvent> decision = BEHAVIOR.decide(item, command);
            List<EventEnvelope> answer = new ArrayList<>();
            if (decision instanceof Decision.Accepted<InventoryEvent> accepted) {
                for (InventoryEvent event : accepted.events()) {
                    item = BEHAVIOR.apply(item, event);
                    answer.add(envelope(command, event, item.version(), ts));
                }
                if (!accepted.events().isEmpty()) {
                    items.put(command.sku(), item); // an accepted no-op (releasing nothing) stores nothing
                }
            } else {
                Decision.Rejected<InventoryEvent> rejected = (Decision.Rejected<InventoryEvent>) decision;
                answer.add(envelope(
                        command, InventoryBehavior.rejection(command, rejected.code(), rejected.reason()), null, ts));
            }
            answers.put(commandId, StoredAnswer.of(ts, answer));
            answer.forEach(e -> context.forward(new Record<>(command.sku(), e, ts)));
        }

        private static EventEnvelope envelope(InventoryCommand command, InventoryEvent event, Long version, long ts) {
            String correlation = command instanceof InventoryCommand.Reserve r
                    ? r.orderId()
                    : command instanceof InventoryCommand.Release r
                            ? r.orderId()
                            : command instanceof InventoryCommand.Commit c ? c.orderId() : null;
            JsonNode payload = Json.mapper().valueToTree(event);
            return new EventEnvelope(
                    UUID.randomUUID(),
                    event.getClass().getSimpleName(),
                    AGGREGATE_TYPE,
                    command.sku(),
                    version,
                    Instant.ofEpochMilli(ts),
                    correlation,
                    command.commandId().toString(),
                    null,
                    payload);
        }
    }
}
