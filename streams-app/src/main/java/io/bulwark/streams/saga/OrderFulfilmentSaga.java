package io.bulwark.streams.saga;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.EventTypes;
import io.bulwark.schemas.Json;
import io.bulwark.schemas.Topics;
import io.bulwark.streams.aggregate.inventory.InventoryCommand;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The order-fulfilment saga, as data: on {@code OrderPlaced}, (1) reserve stock for every line,
 * (2) authorize the payment, then commit the reservations (they become sales, and leave the items'
 * state) and emit {@code OrderConfirmed}; on a failure, release the stock and void the payment (reverse
 * order) and emit {@code OrderRejected} with the reason. An {@code OrderCancelRequested} before the end
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

    public static SagaDefinition definition(Duration stepTimeout, int maxAttempts, Duration retryBackoff) {
        SagaStep reserve = new SagaStep(RESERVE_STOCK,
                (orderId, order) -> lines(orderId, order, "reserve"),
                (orderId, order) -> lines(orderId, order, "release"),
                (order, reply) -> switch (reply.type()) {
                    case "StockReserved" -> Outcome.succeeded();
                    case "InventoryCommandRejected" -> Outcome.failed(reply.payload().path("reason").asText());
                    default -> Outcome.notMine();
                },
                stepTimeout, maxAttempts, retryBackoff)
                .onSagaCompleted((orderId, order) -> lines(orderId, order, "commit"));
        SagaStep pay = new SagaStep(AUTHORIZE_PAYMENT,
                (orderId, order) -> List.of(payment(orderId, order, EventTypes.AUTHORIZE_PAYMENT.name())),
                (orderId, order) -> List.of(payment(orderId, order, EventTypes.VOID_PAYMENT.name())),
                (order, reply) -> switch (reply.type()) {
                    case "PaymentAuthorized" -> Outcome.succeeded();
                    case "PaymentDeclined" -> Outcome.failed("payment declined: " + reply.payload().path("reason").asText());
                    case "PaymentFailed" -> reply.payload().path("retryable").asBoolean(false)
                            ? Outcome.retry(reply.payload().path("reason").asText())
                            : Outcome.failed("payment failed: " + reply.payload().path("reason").asText());
                    default -> Outcome.notMine();
                },
                stepTimeout, maxAttempts, retryBackoff);
        return new SagaDefinition(NAME, EventTypes.ORDER_PLACED.name(), List.of(reserve, pay),
                (orderId, order) -> outcome(orderId, EventTypes.ORDER_CONFIRMED.name(),
                        Json.mapper().createObjectNode().put("orderId", orderId)),
                (orderId, order, reason, status) -> outcome(orderId, EventTypes.ORDER_REJECTED.name(),
                        Json.mapper().createObjectNode().put("orderId", orderId).put("reason", reason)
                                .put("sagaStatus", status.name())),
                EventTypes.ORDER_CANCEL_REQUESTED.name(),
                (orderId, order, reason, status) -> outcome(orderId, EventTypes.ORDER_CANCELLED.name(),
                        Json.mapper().createObjectNode().put("orderId", orderId).put("reason", reason)
                                .put("sagaStatus", status.name())));
    }

    /**
     * One Reserve (or Release, or Commit) command per SKU of the order, with deterministic ids. Lines of the same SKU
     * are merged into one reservation of their summed quantity: an item holds one reservation per order,
     * so a second Reserve for the same order would be refused ALREADY_RESERVED.
     */
    private static List<Outgoing> lines(String orderId, JsonNode order, String purpose) {
        List<Outgoing> commands = new ArrayList<>();
        Map<String, Integer> quantities = new LinkedHashMap<>();
        for (JsonNode line : order.path("lines")) {
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
                commands.add(Outgoing.json(id.toString(), Topics.INVENTORY_COMMANDS.name(), sku,
                        Json.mapper().writerFor(InventoryCommand.class).writeValueAsBytes(command)));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return commands;
    }

    private static Outgoing payment(String orderId, JsonNode order, String type) {
        ObjectNode payload = Json.mapper().createObjectNode().put("orderId", orderId);
        if (type.equals(EventTypes.AUTHORIZE_PAYMENT.name())) {
            payload.put("amountCents", order.path("totalCents").asLong()).put("currency", order.path("currency").asText());
        }
        UUID id = UUID.fromString(SagaDefinition.commandId(orderId, AUTHORIZE_PAYMENT, type, 0));
        EventEnvelope command = new EventEnvelope(id, type, "payment", orderId, null, Instant.now(), orderId, null, null,
                payload);
        return Outgoing.envelope(Topics.PAYMENT_COMMANDS.name(), orderId, command);
    }

    private static EventEnvelope outcome(String orderId, String type, ObjectNode payload) {
        UUID id = UUID.fromString(SagaDefinition.commandId(orderId, NAME, type, 0));
        return new EventEnvelope(id, type, "order", orderId, null, Instant.now(), orderId, null, null, payload);
    }
}
