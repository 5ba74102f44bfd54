package io.bulwark.orders;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bulwark.connectors.outbox.OutboxWriter;
import io.bulwark.guard.idempotency.IdempotencyClaim;
import io.bulwark.guard.lock.Lease;
import io.bulwark.guard.lock.LockNotAcquiredException;
import io.bulwark.guard.lock.RedisLocks;
import io.bulwark.guard.redis.RedisCallFailedException;
import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.EventTypes;
import io.bulwark.schemas.Json;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * The business of orders, always inside the caller's transaction: the order row, the customer's
 * credit and the outbox event commit together or not at all.
 *
 * <p><b>Credit check: one conditional statement.</b> Placing an order charges the customer's credit row
 * with {@code UPDATE ... SET used_cents = used_cents + :total WHERE used_cents + :total <= limit_cents}
 * and inserts the order row and its outbox event only if that charged, in one statement. PostgreSQL's
 * row lock orders concurrent charges of one customer (a second waits, then re-checks the condition on
 * the row the first committed), so no interleaving can overdraw a credit line and no other lock is
 * needed.
 *
 * <p><b>Optionally also under a fenced Redis lock</b> ({@code lock.customers=true}): placing then takes
 * the customer's Redis lock first, and the charge also stores the lease's fencing token
 * ({@code ... WHERE fence_token <= :token}); a holder whose lease ran out while it was paused finds a newer
 * token on the row and its write is refused. It adds no safety to the one-statement charge above (it is
 * there for credit checks that span more than one statement or leave the database) and costs three Redis
 * round trips and, with durable tokens, a PostgreSQL commit per order.
 *
 * <p><b>Customers belong to a client.</b> A credit line is keyed by (client, customer) and provisioned
 * explicitly ({@link #provision}); an order for a customer the client has not provisioned is 422
 * {@code unknown-customer} and writes nothing (the charge finds no row), so random ids grow nothing —
 * unless the operator turned on {@code customers.auto.provision} (then the default limit applies).
 *
 * <p><b>The saga decides.</b> An order stays {@code PLACED} until order-api reads the saga's outcome
 * ({@link #settle}); a cancel is a request ({@code CANCEL_REQUESTED} + {@code OrderCancelRequested}),
 * refused 409 once the order is known to be confirmed or rejected. Credit is charged when the order is
 * placed and given back when the outcome is {@code REJECTED} or {@code CANCELLED}.
 */
public final class OrderService {

    /**
     * A test seam: runs ({@code "order-written"}) after the charge, the order row and its outbox event were
     * written and before the transaction commits. Production passes a no-op.
     */
    @FunctionalInterface
    public interface Checkpoint {
        void reached(String name) throws Exception;
    }

    private final String schema;
    private final OutboxWriter outbox;
    private final RedisLocks locks;
    private final long defaultCreditLimitCents;
    private final boolean autoProvision;
    private final Checkpoint checkpoint;
    private final Clock clock;
    private final String chargeSql;
    private final String fencedChargeSql;

    /**
     * @param locks the per-customer Redis locks to take around the charge, or {@code null} for none (the
     *     default: the charge is one conditional statement)
     * @param defaultCreditLimitCents the limit of a customer provisioned on its first order, when
     *     {@code autoProvision}
     */
    public OrderService(
            String schema,
            OutboxWriter outbox,
            RedisLocks locks,
            long defaultCreditLimitCents,
            boolean autoProvision,
            Checkpoint checkpoint,
            Clock clock) {
        this.schema = schema;
        this.outbox = outbox;
        this.locks = locks;
        this.defaultCreditLimitCents = defaultCreditLimitCents;
        this.autoProvision = autoProvision;
        this.checkpoint = checkpoint;
        this.clock = clock;
        this.chargeSql = chargeSql(schema, outbox, false);
        this.fencedChargeSql = chargeSql(schema, outbox, true);
    }

    /** The charge, the order row and its event in one statement ({@link #chargeAndInsert}); fenced under a lease. */
    private static String chargeSql(String schema, OutboxWriter outbox, boolean fenced) {
        String charge = fenced
                ? "UPDATE " + schema + ".customer_credit SET used_cents = used_cents + ?, fence_token = ?,"
                        + " updated_at = now() WHERE client_id = ? AND customer_id = ? AND fence_token <= ?"
                        + " AND used_cents + ? <= limit_cents RETURNING 1"
                : "UPDATE " + schema + ".customer_credit SET used_cents = used_cents + ?, updated_at = now()"
                        + " WHERE client_id = ? AND customer_id = ? AND used_cents + ? <= limit_cents RETURNING 1";
        return "WITH charged AS (" + charge + "),"
                + " placed AS (INSERT INTO " + schema + ".orders (order_id, client_id, customer_id, merchant_id,"
                + " status, currency, total_cents, lines) SELECT ?, ?, ?, ?, 'PLACED', ?, ?, ?::jsonb FROM charged"
                + " RETURNING 1) " + outbox.insertFrom("placed");
    }

    /**
     * Places the order in {@code tx} (the caller commits only a {@link OrderResult.Placed}). The idempotency
     * {@code claim} travels with the first statement: the auto-provisioning insert, else the charge; under the
     * lock it goes alone, before the lock is taken.
     */
    OrderResult place(Connection tx, ApiClients.Client client, PlaceOrder request, IdempotencyClaim claim)
            throws Exception {
        if (autoProvision) {
            provisionDefault(tx, client, request.customerId(), claim);
        }
        if (locks == null) {
            return charge(tx, client, request, OptionalLong.empty(), claim);
        }
        claim.send(tx);
        // Under the lock, an unknown customer is refused before a lock or a token is taken for it.
        if (!autoProvision && !customerExists(tx, client, request.customerId())) {
            return new OrderResult.UnknownCustomer(request.customerId());
        }
        Lease lease;
        try {
            lease = lockCustomer(client, request.customerId());
        } catch (LockNotAcquiredException e) {
            return new OrderResult.CustomerBusy(request.customerId(), "another request holds its lock");
        } catch (RedisCallFailedException e) {
            // RedisLocks already undid a lock that may have landed after the timeout.
            return new OrderResult.CustomerBusy(request.customerId(), "its lock could not be taken in time");
        }
        try (lease) {
            return charge(tx, client, request, OptionalLong.of(lease.fencingToken()), claim);
        }
    }

    /** Charges the credit line and writes the order row and its event, with a lease's token when locked. */
    private OrderResult charge(
            Connection tx, ApiClients.Client client, PlaceOrder request, OptionalLong token, IdempotencyClaim claim)
            throws Exception {
        long total = request.totalCents();
        String orderId = "ord-" + UUID.randomUUID();
        ArrayNode lines = Json.mapper().createArrayNode();
        request.lines()
                .forEach(l -> lines.addObject()
                        .put("sku", l.sku())
                        .put("quantity", l.quantity())
                        .put("unitPriceCents", l.unitPriceCents()));
        ObjectNode payload =
                Json.mapper().createObjectNode().put("orderId", orderId).put("customerId", request.customerId());
        if (request.merchantId() != null) {
            payload.put("merchantId", request.merchantId());
        }
        payload.set("lines", lines);
        payload.put("totalCents", total).put("currency", request.currency());
        EventEnvelope placed = new EventEnvelope(
                UUID.randomUUID(),
                EventTypes.ORDER_PLACED.name(),
                "order",
                orderId,
                1L,
                clock.instant(),
                orderId,
                null,
                null,
                payload);
        Charge charge = chargeAndInsert(tx, client, request, orderId, lines, placed, token, claim);
        switch (charge.refusal()) {
            case UNKNOWN_CUSTOMER -> {
                return new OrderResult.UnknownCustomer(request.customerId());
            }
            case NEWER_HOLDER -> {
                return new OrderResult.LockLost(request.customerId(), token.getAsLong(), charge.newerToken());
            }
            case LIMIT -> {
                return new OrderResult.CreditExceeded(request.customerId(), total);
            }
            case NONE -> {}
        }
        checkpoint.reached("order-written");
        ObjectNode body =
                Json.mapper().createObjectNode().put("orderId", orderId).put("status", "PLACED");
        body.setAll(payload);
        return new OrderResult.Placed(body);
    }

    /**
     * Asks to cancel an order of this client: 202 {@code CANCEL_REQUESTED} (with an
     * {@code OrderCancelRequested} event, once; the saga answers with the outcome), 200 when it is
     * already {@code CANCELLED}, 404 {@code unknown-order}, or 409 {@code order-not-cancellable} once it
     * is known to be confirmed or rejected. Credit is given back when the saga's {@code OrderCancelled}
     * arrives, not here: a cancel that reaches the saga after it confirmed changes nothing.
     */
    OrderResult cancel(Connection tx, ApiClients.Client client, String orderId) throws Exception {
        Optional<ObjectNode> order = find(tx, client, orderId, true);
        if (order.isEmpty()) {
            return new OrderResult.UnknownOrder(orderId);
        }
        String status = order.get().path("status").asText();
        switch (status) {
            case "PLACED" -> {
                try (PreparedStatement update = tx.prepareStatement("UPDATE " + schema + ".orders"
                        + " SET status = 'CANCEL_REQUESTED', updated_at = now() WHERE order_id = ?")) {
                    update.setString(1, orderId);
                    update.executeUpdate();
                }
                ObjectNode payload = Json.mapper()
                        .createObjectNode()
                        .put("orderId", orderId)
                        .put("customerId", order.get().path("customerId").asText())
                        .put("reason", "cancelled by client");
                outbox.append(
                        tx,
                        new EventEnvelope(
                                UUID.randomUUID(),
                                EventTypes.ORDER_CANCEL_REQUESTED.name(),
                                "order",
                                orderId,
                                2L,
                                clock.instant(),
                                orderId,
                                null,
                                null,
                                payload));
                order.get().put("status", "CANCEL_REQUESTED");
                return new OrderResult.CancelRequested(order.get());
            }
            case "CANCEL_REQUESTED", "CANCELLED" -> {
                return new OrderResult.CancelUnchanged(order.get());
            }
            default -> {
                return new OrderResult.NotCancellable(orderId, status);
            }
        }
    }

    /**
     * Creates or updates this client's customer's credit line: 201 when created, 200 when updated.
     * Lowering the limit below what is in use is allowed; new orders are then refused until credit
     * comes back.
     */
    OrderResult provision(Connection tx, ApiClients.Client client, String customerId, long limitCents)
            throws SQLException {
        boolean created;
        try (PreparedStatement upsert = tx.prepareStatement("INSERT INTO " + schema + ".customer_credit"
                + " (client_id, customer_id, limit_cents) VALUES (?, ?, ?) ON CONFLICT (client_id, customer_id)"
                + " DO UPDATE SET limit_cents = EXCLUDED.limit_cents, updated_at = now() RETURNING (xmax = 0)")) {
            upsert.setString(1, client.id());
            upsert.setString(2, customerId);
            upsert.setLong(3, limitCents);
            try (ResultSet row = upsert.executeQuery()) {
                row.next();
                created = row.getBoolean(1);
            }
        }
        return new OrderResult.Provisioned(customer(tx, client, customerId).orElseThrow(), created);
    }

    /** This client's customer's credit line: limit, used and available cents. */
    public Optional<ObjectNode> customer(Connection connection, ApiClients.Client client, String customerId)
            throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("SELECT limit_cents, used_cents FROM " + schema
                + ".customer_credit WHERE client_id = ? AND customer_id = ?")) {
            select.setString(1, client.id());
            select.setString(2, customerId);
            try (ResultSet row = select.executeQuery()) {
                if (!row.next()) {
                    return Optional.empty();
                }
                long limit = row.getLong(1);
                long used = row.getLong(2);
                return Optional.of(Json.mapper()
                        .createObjectNode()
                        .put("customerId", customerId)
                        .put("creditLimitCents", limit)
                        .put("usedCents", used)
                        .put("availableCents", limit - used));
            }
        }
    }

    /**
     * Applies a saga outcome to its order in {@code tx}, once: only an order still {@code PLACED} or
     * {@code CANCEL_REQUESTED} moves (a repeated or late outcome changes nothing), and a {@code REJECTED}
     * or {@code CANCELLED} order gives its credit back. Returns how long the order was open (ms from its
     * placement, by the database's clock) when it moved, empty when it did not; an order this order-api does
     * not know (placed by another producer) is ignored.
     *
     * @param status {@code CONFIRMED}, {@code REJECTED}, {@code CANCELLED} or {@code NEEDS_ATTENTION}
     */
    public OptionalLong settle(Connection tx, String orderId, String status, UUID outcomeEventId, String reason)
            throws SQLException {
        String clientId;
        String customerId;
        long total;
        long openMs;
        try (PreparedStatement update = tx.prepareStatement("UPDATE " + schema + ".orders SET status = ?,"
                + " outcome_event_id = ?, outcome_reason = ?, updated_at = now()"
                + " WHERE order_id = ? AND status IN ('PLACED', 'CANCEL_REQUESTED')"
                + " RETURNING client_id, customer_id, total_cents,"
                + " (EXTRACT(EPOCH FROM clock_timestamp() - created_at) * 1000)::bigint")) {
            update.setString(1, status);
            update.setObject(2, outcomeEventId);
            update.setString(3, reason);
            update.setString(4, orderId);
            try (ResultSet row = update.executeQuery()) {
                if (!row.next()) {
                    return OptionalLong.empty();
                }
                clientId = row.getString(1);
                customerId = row.getString(2);
                total = row.getLong(3);
                openMs = row.getLong(4);
            }
        }
        if (status.equals("REJECTED") || status.equals("CANCELLED")) {
            // One atomic statement, no customer lock: a concurrent charge waits on the row lock and sees
            // the released credit; the fence token is left alone (it orders lock holders, not refunds).
            try (PreparedStatement release = tx.prepareStatement("UPDATE " + schema + ".customer_credit"
                    + " SET used_cents = GREATEST(used_cents - ?, 0), updated_at = now()"
                    + " WHERE client_id = ? AND customer_id = ?")) {
                release.setLong(1, total);
                release.setString(2, clientId);
                release.setString(3, customerId);
                release.executeUpdate();
            }
        }
        return OptionalLong.of(openMs);
    }

    public Optional<ObjectNode> get(DataSource dataSource, ApiClients.Client client, String orderId)
            throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            return find(connection, client, orderId, false);
        }
    }

    private Optional<ObjectNode> find(
            Connection connection, ApiClients.Client client, String orderId, boolean forUpdate) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("SELECT order_id, customer_id, merchant_id, status,"
                + " currency, total_cents, lines::text AS lines, created_at FROM " + schema + ".orders"
                + " WHERE order_id = ? AND client_id = ?" + (forUpdate ? " FOR UPDATE" : ""))) {
            select.setString(1, orderId);
            select.setString(2, client.id());
            try (ResultSet row = select.executeQuery()) {
                if (!row.next()) {
                    return Optional.empty();
                }
                ObjectNode order = Json.mapper()
                        .createObjectNode()
                        .put("orderId", row.getString("order_id"))
                        .put("status", row.getString("status"))
                        .put("customerId", row.getString("customer_id"));
                if (row.getString("merchant_id") != null) {
                    order.put("merchantId", row.getString("merchant_id"));
                }
                order.set("lines", readTree(row.getString("lines")));
                order.put("totalCents", row.getLong("total_cents"))
                        .put("currency", row.getString("currency"))
                        .put(
                                "createdAt",
                                row.getTimestamp("created_at").toInstant().toString());
                return Optional.of(order);
            }
        }
    }

    private Lease lockCustomer(ApiClients.Client client, String customerId)
            throws LockNotAcquiredException, InterruptedException {
        return locks.acquire("customer:" + client.id() + ":" + customerId);
    }

    /** Whether the client's customer has a credit line. */
    private boolean customerExists(Connection tx, ApiClients.Client client, String customerId) throws SQLException {
        try (PreparedStatement exists = tx.prepareStatement(
                "SELECT 1 FROM " + schema + ".customer_credit" + " WHERE client_id = ? AND customer_id = ?")) {
            exists.setString(1, client.id());
            exists.setString(2, customerId);
            try (ResultSet row = exists.executeQuery()) {
                return row.next();
            }
        }
    }

    /** Gives the client's customer the default credit line unless it has one ({@code customers.auto.provision}). */
    private void provisionDefault(Connection tx, ApiClients.Client client, String customerId, IdempotencyClaim claim)
            throws SQLException {
        try (PreparedStatement ensure = tx.prepareStatement(claim.prefix() + "INSERT INTO " + schema
                + ".customer_credit (client_id, customer_id, limit_cents) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")) {
            int i = claim.bind(ensure);
            ensure.setString(i++, client.id());
            ensure.setString(i++, customerId);
            ensure.setLong(i, defaultCreditLimitCents);
            claim.executeUpdate(ensure);
        }
    }

    /** Why a charge did not happen. */
    private enum Refusal {
        NONE,
        UNKNOWN_CUSTOMER,
        LIMIT,
        NEWER_HOLDER
    }

    /** A conditional charge: done, or refused (and for a newer lock holder, that holder's token). */
    private record Charge(Refusal refusal, long newerToken) {}

    /**
     * Charges the order's total if the limit allows (and, under a lease, no newer lock holder wrote: the
     * lease's token is then stored on the credit row), and only if it charged inserts the order row and its
     * {@code OrderPlaced} event into the outbox: one statement, one round trip, so there is no order without
     * its charge and its event. When it did not charge, a second look tells an unknown customer, a newer
     * token and a reached limit apart.
     */
    private Charge chargeAndInsert(
            Connection tx,
            ApiClients.Client client,
            PlaceOrder request,
            String orderId,
            ArrayNode lines,
            EventEnvelope placed,
            OptionalLong token,
            IdempotencyClaim claim)
            throws SQLException, JsonProcessingException {
        long total = request.totalCents();
        try (PreparedStatement insert =
                tx.prepareStatement(claim.prefix() + (token.isPresent() ? fencedChargeSql : chargeSql))) {
            int i = claim.bind(insert);
            insert.setLong(i++, total);
            if (token.isPresent()) {
                insert.setLong(i++, token.getAsLong());
            }
            insert.setString(i++, client.id());
            insert.setString(i++, request.customerId());
            if (token.isPresent()) {
                insert.setLong(i++, token.getAsLong());
            }
            insert.setLong(i++, total);
            insert.setString(i++, orderId);
            insert.setString(i++, client.id());
            insert.setString(i++, request.customerId());
            insert.setString(i++, request.merchantId());
            insert.setString(i++, request.currency());
            insert.setLong(i++, total);
            insert.setString(i++, Json.mapper().writeValueAsString(lines));
            outbox.bind(insert, i, placed);
            if (claim.executeUpdate(insert) == 1) {
                return new Charge(Refusal.NONE, 0);
            }
        }
        try (PreparedStatement look = tx.prepareStatement(
                "SELECT fence_token FROM " + schema + ".customer_credit WHERE client_id = ? AND customer_id = ?")) {
            look.setString(1, client.id());
            look.setString(2, request.customerId());
            try (ResultSet row = look.executeQuery()) {
                if (!row.next()) {
                    return new Charge(Refusal.UNKNOWN_CUSTOMER, 0);
                }
                long stored = row.getLong(1);
                return token.isPresent() && stored > token.getAsLong()
                        ? new Charge(Refusal.NEWER_HOLDER, stored)
                        : new Charge(Refusal.LIMIT, 0);
            }
        }
    }

    private static JsonNode readTree(String json) {
        try {
            return Json.mapper().readTree(json);
        } catch (IOException e) {
            throw new IllegalStateException("Stored order lines are not JSON", e);
        }
    }
}
