package io.bulwark.streams.fulfilment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.EventType;
import io.bulwark.schemas.EventTypes;
import io.bulwark.schemas.Json;
import io.bulwark.schemas.Topics;
import io.bulwark.streams.aggregate.inventory.InventoryCommand;
import io.bulwark.streams.saga.Outcome;
import io.bulwark.streams.saga.Outgoing;
import io.bulwark.streams.saga.SagaContext;
import io.bulwark.streams.saga.SagaDefinition;
import io.bulwark.streams.saga.SagaStep;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The order-fulfilment saga, as data: on {@code OrderPlaced}, (1) reserve stock for every line and
 * (2) authorize the payment — both at once by default, or the payment only after every line is reserved
 * ({@code paymentAfterStock}) — then commit the reservations (they become sales, and leave the items'
 * state) and emit {@code OrderConfirmed}; on a failure, void the payment and release the stock (reverse
 * order) and emit {@code OrderRejected} with the reason.
 *
 * <p>At once, an order waits for the slower of its two participants instead of for both in turn: one
 * exactly-once round trip (saga → payment worker → saga, ~0.15 s at the default commit interval) fewer. The price:
 * an order refused for stock has had its payment authorized, then voided — a hold on the customer's card for
 * the time between — and a declined payment reserves and releases stock. In turn, neither happens.
 *
 * <p> An {@code OrderCancelRequested} before the end
 * compensates the same way and emits {@code OrderCancelled}; after {@code OrderConfirmed} it changes
 * nothing (order-api refuses cancels of orders it knows are confirmed: 409).
 *
 * <p>Participants: the inventory aggregate (commands on {@code bulwark.inventory.commands}, replies
 * {@code StockReserved} / {@code InventoryCommandRejected} carrying the command id as causation id)
 * and the payment worker (commands {@code AuthorizePayment} / {@code VoidPayment} on
 * {@code bulwark.payment.commands}; replies {@code PaymentAuthorized}, {@code PaymentDeclined},
 * {@code PaymentFailed} on {@code bulwark.payment.events}, keyed by order id, causation id = the
 * command's event id; {@code PaymentFailed} with {@code retryable=true} is retried).
 */
public final class OrderFulfilmentSaga {

    public static final String NAME = "order-fulfilment";
    public static final String RESERVE_STOCK = "reserve-stock";
    public static final String AUTHORIZE_PAYMENT = "authorize-payment";

    private OrderFulfilmentSaga() {}

    /** The saga with stock and payment asked for at once (the default). */
    public static SagaDefinition definition(Duration stepTimeout, int maxAttempts, Duration retryBackoff) {
        return definition(stepTimeout, maxAttempts, retryBackoff, false);
    }

    /**
     * The saga; with {@code paymentAfterStock} the payment is authorized only once every line is reserved, else
     * both are asked for at once.
     */
    public static SagaDefinition definition(
            Duration stepTimeout, int maxAttempts, Duration retryBackoff, boolean paymentAfterStock) {
        SagaStep reserve = new SagaStep(
                        RESERVE_STOCK,
                        saga -> lines(saga, "reserve"),
                        saga -> lines(saga, "release"),
                        (order, reply) -> switch (Reply.of(reply)) {
                            case STOCK_RESERVED -> Outcome.succeeded();
                            case INVENTORY_COMMAND_REJECTED -> Outcome.failed(reason(reply));
                            default -> Outcome.notMine();
                        },
                        stepTimeout,
                        maxAttempts,
                        retryBackoff)
                .onSagaCompleted(saga -> lines(saga, "commit"));
        SagaStep pay = new SagaStep(
                AUTHORIZE_PAYMENT,
                saga -> List.of(payment(saga, EventTypes.AUTHORIZE_PAYMENT.name())),
                saga -> List.of(payment(saga, EventTypes.VOID_PAYMENT.name())),
                (order, reply) -> switch (Reply.of(reply)) {
                    case PAYMENT_AUTHORIZED -> Outcome.succeeded();
                    case PAYMENT_DECLINED -> Outcome.failed("payment declined: " + reason(reply));
                    case PAYMENT_FAILED ->
                        reply.payload().path("retryable").asBoolean(false)
                                ? Outcome.retry(reason(reply))
                                : Outcome.failed("payment failed: " + reason(reply));
                    default -> Outcome.notMine();
                },
                stepTimeout,
                maxAttempts,
                retryBackoff);
        return new SagaDefinition(
                NAME,
                EventTypes.ORDER_PLACED.name(),
                List.of(reserve, paymentAfterStock ? pay : pay.withPrevious()),
                saga -> outcome(
                        saga,
                        EventTypes.ORDER_CONFIRMED.name(),
                        Json.mapper().createObjectNode().put("orderId", saga.sagaId())),
                (saga, reason, status) -> outcome(
                        saga,
                        EventTypes.ORDER_REJECTED.name(),
                        Json.mapper()
                                .createObjectNode()
                                .put("orderId", saga.sagaId())
                                .put("reason", reason)
                                .put("sagaStatus", status.name())),
                EventTypes.ORDER_CANCEL_REQUESTED.name(),
                (saga, reason, status) -> outcome(
                        saga,
                        EventTypes.ORDER_CANCELLED.name(),
                        Json.mapper()
                                .createObjectNode()
                                .put("orderId", saga.sagaId())
                                .put("reason", reason)
                                .put("sagaStatus", status.name())));
    }

    /** The participants' replies this saga reads, by event type; anything else is {@link #OTHER}. */
    enum Reply {
        STOCK_RESERVED(EventTypes.STOCK_RESERVED),
        INVENTORY_COMMAND_REJECTED(EventTypes.INVENTORY_COMMAND_REJECTED),
        PAYMENT_AUTHORIZED(EventTypes.PAYMENT_AUTHORIZED),
        PAYMENT_DECLINED(EventTypes.PAYMENT_DECLINED),
        PAYMENT_FAILED(EventTypes.PAYMENT_FAILED),
        OTHER(null);

        private static final Map<String, Reply> BY_TYPE = new HashMap<>();

        static {
            for (Reply reply : values()) {
                if (reply.type != null) {
                    BY_TYPE.put(reply.type.name(), reply);
                }
            }
        }

        private final EventType type;

        Reply(EventType type) {
            this.type = type;
        }

        static Reply of(EventEnvelope reply) {
            return BY_TYPE.getOrDefault(reply.type(), OTHER);
        }
    }

    private static String reason(EventEnvelope reply) {
        return reply.payload().path("reason").asText();
    }

    /**
     * One Reserve (or Release, or Commit) command per SKU of the order, with deterministic ids. Lines of the same SKU
     * are merged into one reservation of their summed quantity: an item holds one reservation per order,
     * so a second Reserve for the same order would be refused ALREADY_RESERVED.
     */
    private static List<Outgoing> lines(SagaContext saga, String purpose) {
        String orderId = saga.sagaId();
        List<Outgoing> commands = new ArrayList<>();
        Map<String, Integer> quantities = new LinkedHashMap<>();
        for (JsonNode line : saga.trigger().path("lines")) {
            quantities.merge(line.path("sku").asText(), line.path("quantity").asInt(), Integer::sum);
        }
        int i = 0;
        for (Map.Entry<String, Integer> line : quantities.entrySet()) {
            String sku = line.getKey();
            UUID id = UUID.fromString(SagaDefinition.commandId(orderId, RESERVE_STOCK, purpose, i++));
            InventoryCommand command = switch (purpose) {
                case "reserve" -> new InventoryCommand.Reserve(id, sku, null, orderId, line.getValue());
                case "commit" -> new InventoryCommand.Commit(id, sku, null, orderId);
                default -> new InventoryCommand.Release(id, sku, null, orderId);
            };
            try {
                commands.add(Outgoing.json(
                        id.toString(),
                        Topics.INVENTORY_COMMANDS.name(),
                        sku,
                        Json.mapper().writerFor(InventoryCommand.class).writeValueAsBytes(command)));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return commands;
    }

    private static Outgoing payment(SagaContext saga, String type) {
        String orderId = saga.sagaId();
        JsonNode order = saga.trigger();
        ObjectNode payload = Json.mapper().createObjectNode().put("orderId", orderId);
        if (type.equals(EventTypes.AUTHORIZE_PAYMENT.name())) {
            payload.put("amountCents", order.path("totalCents").asLong())
                    .put("currency", order.path("currency").asText());
        }
        UUID id = UUID.fromString(SagaDefinition.commandId(orderId, AUTHORIZE_PAYMENT, type, 0));
        EventEnvelope command =
                new EventEnvelope(id, type, "payment", orderId, null, saga.now(), orderId, null, null, payload);
        return Outgoing.envelope(Topics.PAYMENT_COMMANDS.name(), orderId, command);
    }

    private static EventEnvelope outcome(SagaContext saga, String type, ObjectNode payload) {
        String orderId = saga.sagaId();
        UUID id = UUID.fromString(SagaDefinition.commandId(orderId, NAME, type, 0));
        return new EventEnvelope(id, type, "order", orderId, null, saga.now(), orderId, null, null, payload);
    }
}
