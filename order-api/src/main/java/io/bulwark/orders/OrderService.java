package io.bulwark.orders;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bulwark.connectors.outbox.OutboxWriter;
import io.bulwark.guard.idempotency.IdempotencyStore.StoredResponse;
import io.bulwark.guard.lock.Lease;
import io.bulwark.guard.lock.LockNotAcquiredException;
import io.bulwark.guard.lock.RedisLocks;
import io.bulwark.http.HttpIo;
import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.Json;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * The business of orders, always inside the caller's transaction: the order row, the customer's
 * credit and the outbox event commit together or not at all.
 *
 * <p><b>Credit check under a fenced lock.</b> Placing an order takes the customer's Redis lock, then
 * charges the customer's credit row with a conditional update that also stores the lease's fencing
 * token ({@code ... WHERE fence_token <= :token}). A holder whose lease ran out while it was paused
 * finds a newer token on the row and its write is refused, so two holders can never both charge.
 */
public final class OrderService {

    /** A test seam: runs between the order row and the outbox event. Production passes a no-op. */
    @FunctionalInterface
    public interface Checkpoint {
        void reached(String name) throws Exception;
    }

    private final String schema;
    private final OutboxWriter outbox;
    private final RedisLocks locks;
    private final long defaultCreditLimitCents;
    private final Checkpoint checkpoint;

    public OrderService(String schema, OutboxWriter outbox, RedisLocks locks, long defaultCreditLimitCents,
            Checkpoint checkpoint) {
        this.schema = schema;
        this.outbox = outbox;
        this.locks = locks;
        this.defaultCreditLimitCents = defaultCreditLimitCents;
        this.checkpoint = checkpoint;
    }

    /** Places the order in {@code tx}: 201 with the order, or 422 {@code credit-limit-exceeded}. */
    public StoredResponse place(Connection tx, ApiClients.Client client, PlaceOrder request) throws Exception {
        long total = request.totalCents();
        try (Lease lease = lockCustomer(request.customerId())) {
            if (!chargeCredit(tx, request.customerId(), total, lease.fencingToken())) {
                return problemResponse(422, "credit-limit-exceeded", "Customer " + request.customerId()
                        + " has not enough credit left for " + total + " cents");
            }
            String orderId = "ord-" + UUID.randomUUID();
            ArrayNode lines = Json.mapper().createArrayNode();
            request.lines().forEach(l -> lines.addObject().put("sku", l.sku()).put("quantity", l.quantity())
                    .put("unitPriceCents", l.unitPriceCents()));
            try (PreparedStatement insert = tx.prepareStatement("INSERT INTO " + schema + ".orders (order_id,"
                    + " client_id, customer_id, merchant_id, status, currency, total_cents, lines)"
                    + " VALUES (?, ?, ?, ?, 'PLACED', ?, ?, ?::jsonb)")) {
                insert.setString(1, orderId);
                insert.setString(2, client.id());
                insert.setString(3, request.customerId());
                insert.setString(4, request.merchantId());
                insert.setString(5, request.currency());
                insert.setLong(6, total);
                insert.setString(7, Json.mapper().writeValueAsString(lines));
                insert.executeUpdate();
            }
            checkpoint.reached("order-written");
            ObjectNode payload = Json.mapper().createObjectNode().put("orderId", orderId)
                    .put("customerId", request.customerId());
            if (request.merchantId() != null) {
                payload.put("merchantId", request.merchantId());
            }
            payload.set("lines", lines);
            payload.put("totalCents", total).put("currency", request.currency());
            outbox.append(tx, new EventEnvelope(UUID.randomUUID(), "OrderPlaced", "order", orderId, 1L, Instant.now(),
                    orderId, null, null, payload));
            checkpoint.reached("event-written");
            ObjectNode body = Json.mapper().createObjectNode().put("orderId", orderId).put("status", "PLACED");
            body.setAll(payload);
            return new StoredResponse(201, HttpIo.JSON, Json.mapper().writeValueAsBytes(body));
        }
    }

    /** Cancels a placed order of this client: 200, 404 {@code unknown-order} or 409 {@code order-not-cancellable}. */
    public StoredResponse cancel(Connection tx, ApiClients.Client client, String orderId) throws Exception {
        Optional<ObjectNode> order = find(tx, client, orderId, true);
        if (order.isEmpty()) {
            return problemResponse(404, "unknown-order", "No order " + orderId + " of this client");
        }
        String status = order.get().path("status").asText();
        if (!status.equals("PLACED")) {
            return problemResponse(409, "order-not-cancellable", "Order " + orderId + " is " + status
                    + "; only PLACED orders can be cancelled");
        }
        String customer = order.get().path("customerId").asText();
        long total = order.get().path("totalCents").asLong();
        try (Lease lease = lockCustomer(customer)) {
            try (PreparedStatement release = tx.prepareStatement("UPDATE " + schema + ".customer_credit"
                    + " SET used_cents = GREATEST(used_cents - ?, 0), fence_token = ?, updated_at = now()"
                    + " WHERE customer_id = ? AND fence_token <= ?")) {
                release.setLong(1, total);
                release.setLong(2, lease.fencingToken());
                release.setString(3, customer);
                release.setLong(4, lease.fencingToken());
                if (release.executeUpdate() == 0) {
                    throw new ApiProblem(503, "lock-lost", "The customer lock passed to a newer holder; retry",
                            Map.of("Retry-After", "1"));
                }
            }
            try (PreparedStatement update = tx.prepareStatement("UPDATE " + schema + ".orders SET status = 'CANCELLED',"
                    + " updated_at = now() WHERE order_id = ?")) {
                update.setString(1, orderId);
                update.executeUpdate();
            }
        }
        ObjectNode payload = Json.mapper().createObjectNode().put("orderId", orderId).put("customerId", customer)
                .put("reason", "cancelled by client");
        outbox.append(tx, new EventEnvelope(UUID.randomUUID(), "OrderCancelled", "order", orderId, 2L, Instant.now(),
                orderId, null, null, payload));
        order.get().put("status", "CANCELLED");
        return new StoredResponse(200, HttpIo.JSON, Json.mapper().writeValueAsBytes(order.get()));
    }

    public Optional<ObjectNode> get(DataSource dataSource, ApiClients.Client client, String orderId) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            return find(connection, client, orderId, false);
        }
    }

    private Optional<ObjectNode> find(Connection connection, ApiClients.Client client, String orderId, boolean forUpdate)
            throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("SELECT order_id, customer_id, merchant_id, status,"
                + " currency, total_cents, lines::text AS lines, created_at FROM " + schema + ".orders"
                + " WHERE order_id = ? AND client_id = ?" + (forUpdate ? " FOR UPDATE" : ""))) {
            select.setString(1, orderId);
            select.setString(2, client.id());
            try (ResultSet row = select.executeQuery()) {
                if (!row.next()) {
                    return Optional.empty();
                }
                ObjectNode order = Json.mapper().createObjectNode().put("orderId", row.getString("order_id"))
                        .put("status", row.getString("status")).put("customerId", row.getString("customer_id"));
                if (row.getString("merchant_id") != null) {
                    order.put("merchantId", row.getString("merchant_id"));
                }
                order.set("lines", readTree(row.getString("lines")));
                order.put("totalCents", row.getLong("total_cents")).put("currency", row.getString("currency"))
                        .put("createdAt", row.getTimestamp("created_at").toInstant().toString());
                return Optional.of(order);
            }
        }
    }

    private Lease lockCustomer(String customerId) throws InterruptedException {
        try {
            return locks.acquire("customer:" + customerId);
        } catch (LockNotAcquiredException e) {
            throw new ApiProblem(503, "customer-busy", "Another request for customer " + customerId
                    + " holds its lock; retry", Map.of("Retry-After", "1"));
        }
    }

    /** Charges {@code total} if the limit allows, storing the lease's fencing token on the row. */
    private boolean chargeCredit(Connection tx, String customerId, long total, long token) throws SQLException {
        try (PreparedStatement ensure = tx.prepareStatement("INSERT INTO " + schema + ".customer_credit"
                + " (customer_id, limit_cents) VALUES (?, ?) ON CONFLICT (customer_id) DO NOTHING")) {
            ensure.setString(1, customerId);
            ensure.setLong(2, defaultCreditLimitCents);
            ensure.executeUpdate();
        }
        try (PreparedStatement charge = tx.prepareStatement("UPDATE " + schema + ".customer_credit"
                + " SET used_cents = used_cents + ?, fence_token = ?, updated_at = now()"
                + " WHERE customer_id = ? AND fence_token <= ? AND used_cents + ? <= limit_cents")) {
            charge.setLong(1, total);
            charge.setLong(2, token);
            charge.setString(3, customerId);
            charge.setLong(4, token);
            charge.setLong(5, total);
            if (charge.executeUpdate() == 1) {
                return true;
            }
        }
        try (PreparedStatement fence = tx.prepareStatement("SELECT fence_token FROM " + schema
                + ".customer_credit WHERE customer_id = ?")) {
            fence.setString(1, customerId);
            try (ResultSet row = fence.executeQuery()) {
                row.next();
                if (row.getLong(1) > token) {
                    throw new ApiProblem(503, "lock-lost", "The customer lock passed to a newer holder"
                            + " (fencing token " + token + " < " + row.getLong(1) + "); retry", Map.of("Retry-After", "1"));
                }
            }
        }
        return false;
    }

    static StoredResponse problemResponse(int status, String code, String detail) {
        return new StoredResponse(status, HttpIo.PROBLEM_JSON,
                HttpIo.problemBody(status, code, ApiProblem.title(status), detail, null));
    }

    private static JsonNode readTree(String json) {
        try {
            return Json.mapper().readTree(json);
        } catch (IOException e) {
            throw new IllegalStateException("Stored order lines are not JSON", e);
        }
    }
}
