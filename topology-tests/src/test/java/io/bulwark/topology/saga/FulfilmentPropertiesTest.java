package io.bulwark.topology.saga;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bulwark.infra.Directories;
import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.EventEnvelopeSerde;
import io.bulwark.schemas.EventTypes;
import io.bulwark.schemas.Json;
import io.bulwark.schemas.Topics;
import io.bulwark.streams.aggregate.Decision;
import io.bulwark.streams.aggregate.inventory.InventoryBehavior;
import io.bulwark.streams.aggregate.inventory.InventoryCommand;
import io.bulwark.streams.aggregate.inventory.InventoryEvent;
import io.bulwark.streams.aggregate.inventory.InventoryItem;
import io.bulwark.streams.fulfilment.OrderFulfilmentSaga;
import io.bulwark.streams.saga.SagaDefinition;
import io.bulwark.streams.saga.SagaTopology;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
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
import org.apache.kafka.streams.test.TestRecord;

/**
 * The whole order fulfilment — the real saga (in a TopologyTestDriver), the real inventory decisions
 * ({@link InventoryBehavior}, with the aggregate's answer-replay by command id) and a payment participant
 * that answers like the worker and gateway do (one charge per command id, a void voids whatever came
 * before it) — under arbitrary interleavings: messages of different keys and topics delivered in any
 * order (per topic and key in order, as Kafka does), duplicated deliveries, waits beyond the step
 * timeout, and cancels at any moment — with the payment asked for at once with the stock (the default) or after
 * it. At quiescence, for every order:
 *
 * <ul>
 *   <li>exactly one outcome;</li>
 *   <li>units sold for it = its ordered units if CONFIRMED, else 0, and no reservation is left;</li>
 *   <li>money authorized and not voided = its total if CONFIRMED, else 0;</li>
 *   <li>a cancelled order was not confirmed, and an order cancelled before the saga heard of it did nothing.</li>
 * </ul>
 */
class FulfilmentPropertiesTest {

    private static final String IN = "fulfilment.in";
    private static final List<String> SKUS = List.of("sku-a", "sku-b");
    private static final int STOCK = 3;
    private static final InventoryBehavior INVENTORY = new InventoryBehavior();

    /** One order: its lines (sku index → quantity), whether the gateway declines it. */
    record Order(Map<Integer, Integer> lines, boolean declined) {}

    enum Kind {
        DELIVER,
        DUPLICATE,
        WAIT,
        CANCEL
    }

    record Move(Kind kind, int pick) {}

    @Provide
    Arbitrary<List<Order>> orders() {
        Arbitrary<Map<Integer, Integer>> lines = Arbitraries.maps(
                        Arbitraries.integers().between(0, 1),
                        Arbitraries.integers().between(1, 2))
                .ofMinSize(1)
                .ofMaxSize(2);
        return Combinators.combine(lines, Arbitraries.of(true, false, false, false))
                .as(Order::new)
                .list()
                .ofMinSize(1)
                .ofMaxSize(4);
    }

    @Provide
    Arbitrary<List<Move>> moves() {
        Arbitrary<Kind> kind = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(12, Arbitraries.just(Kind.DELIVER)),
                net.jqwik.api.Tuple.of(2, Arbitraries.just(Kind.DUPLICATE)),
                net.jqwik.api.Tuple.of(2, Arbitraries.just(Kind.WAIT)),
                net.jqwik.api.Tuple.of(1, Arbitraries.just(Kind.CANCEL)));
        return Combinators.combine(kind, Arbitraries.integers().between(0, 1_000))
                .as(Move::new)
                .list()
                .ofMaxSize(80);
    }

    @Property(tries = 200)
    void shouldEndEveryOrderOnceWithStockAndMoneyMatchingItsOutcome(
            @ForAll("orders") List<Order> orders, @ForAll("moves") List<Move> moves, @ForAll boolean paymentAfterStock)
            throws Exception {
        Path dir = Files.createTempDirectory("fulfilment-prop");
        SagaDefinition saga =
                OrderFulfilmentSaga.definition(Duration.ofSeconds(1), 2, Duration.ofMillis(200), paymentAfterStock);
        try (TopologyTestDriver driver = new TopologyTestDriver(topology(saga), props(dir), Instant.EPOCH)) {
            World world = new World(driver);
            for (int i = 0; i < orders.size(); i++) {
                world.enqueue("orders", "o-" + i, placed("o-" + i, orders.get(i)));
            }
            Map<String, Boolean> declined = new HashMap<>();
            for (int i = 0; i < orders.size(); i++) {
                declined.put("o-" + i, orders.get(i).declined());
            }
            world.declined.putAll(declined);
            Set<String> cancelled = new HashSet<>();
            for (Move move : moves) {
                switch (move.kind()) {
                    case DELIVER -> world.deliver(move.pick(), false);
                    case DUPLICATE -> world.deliver(move.pick(), true);
                    case WAIT -> world.advance(move.pick() % 2 == 0 ? 600 : 1_100);
                    case CANCEL -> {
                        String orderId = "o-" + move.pick() % orders.size();
                        if (cancelled.add(orderId)) {
                            world.enqueue("orders", orderId, cancel(orderId));
                        }
                    }
                }
            }
            world.settle();

            for (int i = 0; i < orders.size(); i++) {
                String orderId = "o-" + i;
                List<EventEnvelope> outcomes = world.outcomes.getOrDefault(orderId, List.of());
                assertThat(outcomes)
                        .as("%s: one outcome; %s", orderId, world.trace)
                        .hasSize(1);
                boolean confirmed = outcomes.get(0).type().equals(EventTypes.ORDER_CONFIRMED.name());
                Map<String, Integer> ordered = new HashMap<>();
                orders.get(i).lines().forEach((sku, quantity) -> ordered.merge(SKUS.get(sku), quantity, Integer::sum));
                assertThat(world.sold(orderId))
                        .as("%s units sold (%s)", orderId, outcomes.get(0).type())
                        .isEqualTo(confirmed ? ordered : Map.of());
                assertThat(world.held(orderId))
                        .as("%s: no reservation left", orderId)
                        .isEmpty();
                assertThat(world.authorizedAndNotVoided(orderId))
                        .as("%s money", orderId)
                        .isEqualTo(confirmed ? total(orders.get(i)) : 0);
                if (confirmed) {
                    assertThat(orders.get(i).declined())
                            .as("a declined payment never confirms")
                            .isFalse();
                }
            }
            for (String sku : SKUS) {
                long sold = world.soldUnits(sku);
                assertThat(world.item(sku).available())
                        .as("%s: stock = restocked - sold", sku)
                        .isEqualTo(STOCK - sold);
            }
        } finally {
            Directories.deleteRecursively(dir);
        }
    }

    /** Kafka as the harness sees it: one FIFO queue per topic and key, delivered in any interleaving. */
    private static final class World {
        private final TopologyTestDriver driver;
        private final TestInputTopic<String, EventEnvelope> in;
        private final TestOutputTopic<String, byte[]> inventoryCommands;
        private final TestOutputTopic<String, EventEnvelope> paymentCommands;
        private final TestOutputTopic<String, EventEnvelope> outcomeTopic;
        private final Map<String, ArrayDeque<Object>> queues = new LinkedHashMap<>();
        private final Map<String, InventoryItem> items = new HashMap<>();
        private final Map<String, List<EventEnvelope>> answers = new HashMap<>();
        private final Map<String, Map<String, Integer>> sold = new HashMap<>();
        private final Map<String, Long> charged = new HashMap<>();
        private final Map<String, EventEnvelope> chargeAnswers = new HashMap<>();
        private final Set<String> voided = new HashSet<>();
        final Map<String, Boolean> declined = new HashMap<>();
        final Map<String, List<EventEnvelope>> outcomes = new HashMap<>();
        final List<String> trace = new ArrayList<>();

        World(TopologyTestDriver driver) {
            this.driver = driver;
            this.in = driver.createInputTopic(
                    IN, new StringSerializer(), EventEnvelopeSerde.inHeaders().serializer());
            this.inventoryCommands = driver.createOutputTopic(
                    Topics.INVENTORY_COMMANDS.name(), new StringDeserializer(), new ByteArrayDeserializer());
            this.paymentCommands = driver.createOutputTopic(
                    Topics.PAYMENT_COMMANDS.name(),
                    new StringDeserializer(),
                    EventEnvelopeSerde.inHeaders().deserializer());
            this.outcomeTopic = driver.createOutputTopic(
                    Topics.ORDER_OUTCOMES.name(),
                    new StringDeserializer(),
                    EventEnvelopeSerde.inHeaders().deserializer());
            for (String sku : SKUS) {
                InventoryItem item = INVENTORY.initial(sku);
                items.put(sku, INVENTORY.apply(item, new InventoryEvent.Restocked(sku, STOCK)));
            }
        }

        void enqueue(String topic, String key, Object message) {
            queues.computeIfAbsent(topic + "|" + key, k -> new ArrayDeque<>()).add(message);
        }

        /** Delivers the head of one non-empty queue; a duplicate leaves it there to be delivered again. */
        void deliver(int pick, boolean duplicate) throws Exception {
            List<String> ready = queues.entrySet().stream()
                    .filter(e -> !e.getValue().isEmpty())
                    .map(Map.Entry::getKey)
                    .toList();
            if (ready.isEmpty()) {
                return;
            }
            String queue = ready.get(pick % ready.size());
            Object message =
                    duplicate ? queues.get(queue).peek() : queues.get(queue).poll();
            String topic = queue.substring(0, queue.indexOf('|'));
            String key = queue.substring(queue.indexOf('|') + 1);
            trace.add((duplicate ? "dup " : "") + topic + " " + describe(message));
            switch (topic) {
                case "orders", "replies" -> in.pipeInput(key, (EventEnvelope) message);
                case "inventory" -> inventory((InventoryCommand) message);
                case "payments" -> payment((EventEnvelope) message);
                default -> throw new IllegalStateException(topic);
            }
            collect();
        }

        void advance(long ms) throws Exception {
            trace.add("wait " + ms);
            driver.advanceWallClockTime(Duration.ofMillis(ms));
            collect();
        }

        /** Quiescence: deliver everything, let every deadline pass, until nothing moves. */
        void settle() throws Exception {
            for (int round = 0; round < 200; round++) {
                boolean moved = false;
                while (queues.values().stream().anyMatch(q -> !q.isEmpty())) {
                    deliver(round, false);
                    moved = true;
                }
                advance(1_100);
                if (!moved && queues.values().stream().allMatch(ArrayDeque::isEmpty) && round > 10) {
                    return;
                }
            }
            throw new AssertionError("no quiescence: " + trace);
        }

        private void collect() throws Exception {
            for (TestRecord<String, byte[]> record : inventoryCommands.readRecordsToList()) {
                InventoryCommand command = Json.mapper().readValue(record.value(), InventoryCommand.class);
                enqueue("inventory", record.key(), command);
            }
            for (TestRecord<String, EventEnvelope> record : paymentCommands.readRecordsToList()) {
                enqueue("payments", record.key(), record.value());
            }
            for (TestRecord<String, EventEnvelope> record : outcomeTopic.readRecordsToList()) {
                outcomes.computeIfAbsent(record.key(), k -> new ArrayList<>()).add(record.value());
            }
        }

        /** The inventory aggregate: the first answer of a command id is replayed, never re-decided. */
        private void inventory(InventoryCommand command) {
            String commandId = command.commandId().toString();
            List<EventEnvelope> answer = answers.get(commandId);
            if (answer == null) {
                InventoryItem item = items.get(command.sku());
                Decision<InventoryEvent> decision = INVENTORY.decide(item, command);
                answer = new ArrayList<>();
                if (decision instanceof Decision.Accepted<InventoryEvent> accepted) {
                    for (InventoryEvent event : accepted.events()) {
                        item = INVENTORY.apply(item, event);
                        if (event instanceof InventoryEvent.ReservationCommitted c) {
                            sold.computeIfAbsent(c.orderId(), k -> new HashMap<>())
                                    .merge(c.sku(), c.quantity(), Integer::sum);
                        }
                        answer.add(reply(command, event));
                    }
                    items.put(command.sku(), item);
                } else if (decision instanceof Decision.Rejected<InventoryEvent> rejected) {
                    answer.add(reply(
                            command,
                            new InventoryEvent.InventoryCommandRejected(
                                    command.sku(), commandId, rejected.code(), rejected.reason())));
                }
                answers.put(commandId, answer);
            }
            for (EventEnvelope reply : answer) {
                enqueue("replies", reply.correlationId(), reply);
            }
        }

        /** The payment worker + gateway: a charge per command id, answered the same way every time. */
        private void payment(EventEnvelope command) {
            String orderId = command.aggregateId();
            if (command.type().equals(EventTypes.VOID_PAYMENT.name())) {
                voided.add(orderId); // voids what came before it on this order's queue; unknown: a no-op
                return;
            }
            EventEnvelope answer =
                    chargeAnswers.computeIfAbsent(command.eventId().toString(), id -> {
                        boolean decline = declined.getOrDefault(orderId, false);
                        if (!decline) {
                            charged.put(
                                    orderId,
                                    command.payload().path("amountCents").asLong());
                            voided.remove(orderId);
                        }
                        ObjectNode payload = Json.mapper().createObjectNode().put("orderId", orderId);
                        if (decline) {
                            payload.put("reason", "insufficient_funds");
                        }
                        return new EventEnvelope(
                                UUID.randomUUID(),
                                decline ? "PaymentDeclined" : "PaymentAuthorized",
                                "payment",
                                orderId,
                                null,
                                Instant.EPOCH,
                                orderId,
                                id,
                                null,
                                payload);
                    });
            enqueue("replies", orderId, answer);
        }

        long authorizedAndNotVoided(String orderId) {
            return charged.containsKey(orderId) && !voided.contains(orderId) ? charged.get(orderId) : 0;
        }

        Map<String, Integer> sold(String orderId) {
            return sold.getOrDefault(orderId, Map.of());
        }

        long soldUnits(String sku) {
            return sold.values().stream().mapToLong(m -> m.getOrDefault(sku, 0)).sum();
        }

        Map<String, Integer> held(String orderId) {
            Map<String, Integer> held = new HashMap<>();
            items.values().forEach(item -> {
                if (item.reservations().containsKey(orderId)) {
                    held.put(item.sku(), item.reservations().get(orderId));
                }
            });
            return held;
        }

        InventoryItem item(String sku) {
            return items.get(sku);
        }

        private static EventEnvelope reply(InventoryCommand command, InventoryEvent event) {
            String orderId = command instanceof InventoryCommand.Reserve r
                    ? r.orderId()
                    : command instanceof InventoryCommand.Release r
                            ? r.orderId()
                            : ((InventoryCommand.Commit) command).orderId();
            return new EventEnvelope(
                    UUID.randomUUID(),
                    event.getClass().getSimpleName(),
                    "inventory",
                    command.sku(),
                    null,
                    Instant.EPOCH,
                    orderId,
                    command.commandId().toString(),
                    null,
                    Json.mapper().valueToTree(event));
        }

        private static String describe(Object message) {
            return message instanceof EventEnvelope e
                    ? e.type() + "(" + e.aggregateId() + ")"
                    : message.getClass().getSimpleName() + "(" + ((InventoryCommand) message).sku() + ")";
        }
    }

    private static EventEnvelope placed(String orderId, Order order) {
        ObjectNode payload = Json.mapper()
                .createObjectNode()
                .put("orderId", orderId)
                .put("customerId", "c-1")
                .put("totalCents", total(order))
                .put("currency", "EUR");
        var lines = payload.putArray("lines");
        order.lines()
                .forEach((sku, quantity) -> lines.addObject()
                        .put("sku", SKUS.get(sku))
                        .put("quantity", quantity)
                        .put("unitPriceCents", 100));
        return new EventEnvelope(
                UUID.randomUUID(),
                EventTypes.ORDER_PLACED.name(),
                "order",
                orderId,
                1L,
                Instant.EPOCH,
                orderId,
                null,
                null,
                payload);
    }

    private static EventEnvelope cancel(String orderId) {
        ObjectNode payload = Json.mapper()
                .createObjectNode()
                .put("orderId", orderId)
                .put("customerId", "c-1")
                .put("reason", "cancelled by client");
        return new EventEnvelope(
                UUID.randomUUID(),
                EventTypes.ORDER_CANCEL_REQUESTED.name(),
                "order",
                orderId,
                2L,
                Instant.EPOCH,
                orderId,
                null,
                null,
                payload);
    }

    private static long total(Order order) {
        return order.lines().values().stream().mapToLong(q -> q * 100L).sum();
    }

    private static Topology topology(SagaDefinition saga) {
        StreamsBuilder builder = new StreamsBuilder();
        SagaTopology.build(
                builder,
                saga,
                builder.stream(IN, Consumed.with(Serdes.String(), EventEnvelopeSerde.inHeaders())),
                Topics.ORDER_OUTCOMES,
                Duration.ofMillis(100));
        return builder.build();
    }

    private static Properties props(Path dir) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "fulfilment-properties");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, dir.toString());
        return props;
    }
}
