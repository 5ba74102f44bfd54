/**
 * The example request-path service (order-api issue): {@code POST /orders} with idempotency keys,
 * per-client rate limits, a fenced per-customer lock, the order row and its outbox event in one
 * transaction, and the payment worker behind resilience policies. The module is wired into the
 * build now so its dependencies converge with the rest from the start.
 */
package io.bulwark.orders;
