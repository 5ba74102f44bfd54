package io.bulwark.orders;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What {@link OrderService} decided, in the business's terms; {@link OrderApi} maps each to HTTP (and only
 * a 2xx is stored for an idempotency key). The service speaks no HTTP.
 */
sealed interface OrderResult {

    /** The order was placed: its row, credit charge and {@code OrderPlaced} event are in the transaction. */
    record Placed(ObjectNode order) implements OrderResult {}

    /** The client has not provisioned this customer. */
    record UnknownCustomer(String customerId) implements OrderResult {}

    /** The customer's credit line cannot take {@code totalCents}. */
    record CreditExceeded(String customerId, long totalCents) implements OrderResult {}

    /** Another request holds the customer's lock, or its lock call got no answer in time: retry. */
    record CustomerBusy(String customerId, String why) implements OrderResult {}

    /** The customer's lock passed to a newer holder (fencing token) before this write: retry. */
    record LockLost(String customerId, long token, long newer) implements OrderResult {}

    /** A cancel was recorded ({@code OrderCancelRequested}); the saga decides. */
    record CancelRequested(ObjectNode order) implements OrderResult {}

    /** Asked again for an order already cancelling or cancelled: its current state. */
    record CancelUnchanged(ObjectNode order) implements OrderResult {}

    /** No such order of this client. */
    record UnknownOrder(String orderId) implements OrderResult {}

    /** The saga has ended the order ({@code status}): it can no longer be cancelled. */
    record NotCancellable(String orderId, String status) implements OrderResult {}

    /** A customer's credit line was created ({@code created}) or changed. */
    record Provisioned(ObjectNode credit, boolean created) implements OrderResult {}
}
