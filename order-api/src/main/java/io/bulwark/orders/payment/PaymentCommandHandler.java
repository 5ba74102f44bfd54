package io.bulwark.orders.payment;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bulwark.guard.idempotency.RequestFingerprint;
import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.EventTypes;
import io.bulwark.schemas.Json;
import io.bulwark.schemas.Topics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Carries out one payment command at the gateway and says what to send for it: {@code AuthorizePayment}
 * → {@code PaymentAuthorized} / {@code PaymentDeclined} / {@code PaymentFailed} (retryable or not) on the
 * payment event topic, keyed by order id with the command's id as causation id; {@code VoidPayment} →
 * nothing once voided (the saga does not wait), a dead letter when refused or still impossible after
 * {@link #VOID_RETRY_FOR}; a command that cannot be read, or of an unknown type → a dead letter. The gateway
 * idempotency key is derived from the command id, so a command handled twice charges or voids once.
 * Replies are counted in {@code bulwark.payments.replies{type}}.
 */
final class PaymentCommandHandler {

    /** How long a void the gateway answers "retry later" is tried again before it is dead-lettered. */
    static final Duration VOID_RETRY_FOR = Duration.ofMinutes(15);

    private static final long VOID_BACKOFF_FIRST_MS = 500;
    private static final long VOID_BACKOFF_MAX_MS = 10_000;

    private final PaymentGateway gateway;
    private final ResilientPayments payments;
    private final PaymentDeadLetters deadLetters;
    private final MeterRegistry meters;
    private final Deserializer<EventEnvelope> commands =
            Topics.PAYMENT_COMMANDS.valueSerde().deserializer();
    private final Serializer<EventEnvelope> replies =
            Topics.PAYMENT_EVENTS.valueSerde().serializer();

    PaymentCommandHandler(
            PaymentGateway gateway, ResilientPayments payments, PaymentDeadLetters deadLetters, MeterRegistry meters) {
        this.gateway = gateway;
        this.payments = payments;
        this.deadLetters = deadLetters;
        this.meters = meters;
    }

    /** One command → its reply, nothing, or its dead letter; never throws. */
    List<ProducerRecord<byte[], byte[]>> handle(ConsumerRecord<byte[], byte[]> record) {
        EventEnvelope command;
        try {
            command = commands.deserialize(record.topic(), record.headers(), record.value());
        } catch (RuntimeException e) {
            return List.of(deadLetters.of(record, e.getClass().getName(), String.valueOf(e.getMessage())));
        }
        String key = RequestFingerprint.deriveKey(
                "payment", command.type(), Map.of("commandId", command.eventId().toString()));
        String orderId = command.payload().path("orderId").asText(command.aggregateId());
        if (command.type().equals(EventTypes.AUTHORIZE_PAYMENT.name())) {
            ResilientPayments.Outcome outcome = payments.call(
                    ResilientPayments.Tier.CRITICAL,
                    () -> gateway.authorize(
                            orderId,
                            command.payload().path("amountCents").asLong(),
                            command.payload().path("currency").asText(),
                            key));
            return List.of(reply(command, orderId, outcome));
        }
        if (command.type().equals(EventTypes.VOID_PAYMENT.name())) {
            ResilientPayments.Outcome outcome = voidUntilDone(orderId, key);
            if (outcome instanceof ResilientPayments.Outcome.Done) {
                count("PaymentVoided");
                return List.of();
            }
            return List.of(deadLetters.of(record, "VoidFailed", "void of " + orderId + " not done: " + outcome));
        }
        return List.of(deadLetters.of(record, "UnknownCommand", "unknown payment command " + command.type()));
    }

    /**
     * A void is a compensation nobody waits for: if it is dead-lettered while the gateway is merely
     * unavailable (breaker open, retries spent), money stays taken for an order that failed. So a
     * "retry later" is tried again here, backing off from 0.5 s to 10 s, for up to {@link #VOID_RETRY_FOR};
     * its partition's offset does not move meanwhile, so a restart runs it again (same key: the gateway
     * voids once). Only a refusal ({@code Failed}) or the end of that time dead-letters it.
     */
    private ResilientPayments.Outcome voidUntilDone(String orderId, String key) {
        long giveUpAt = System.nanoTime() + VOID_RETRY_FOR.toNanos();
        long backoffMs = VOID_BACKOFF_FIRST_MS;
        while (true) {
            ResilientPayments.Outcome outcome =
                    payments.call(ResilientPayments.Tier.STANDARD, () -> gateway.voidPayment(orderId, key));
            if (!(outcome instanceof ResilientPayments.Outcome.RetryLater) || System.nanoTime() > giveUpAt) {
                return outcome;
            }
            try {
                Thread.sleep(backoffMs);
            } catch (InterruptedException e) {
                // stopping: the void is not committed, so it runs again after the restart
                Thread.currentThread().interrupt();
                return outcome;
            }
            backoffMs = Math.min(backoffMs * 2, VOID_BACKOFF_MAX_MS);
        }
    }

    private ProducerRecord<byte[], byte[]> reply(
            EventEnvelope command, String orderId, ResilientPayments.Outcome outcome) {
        ObjectNode payload = Json.mapper().createObjectNode().put("orderId", orderId);
        String type;
        if (outcome instanceof ResilientPayments.Outcome.Done done
                && done.result() instanceof PaymentGateway.Authorized authorized) {
            type = EventTypes.PAYMENT_AUTHORIZED.name();
            payload.put("authorizationId", authorized.chargeId());
        } else if (outcome instanceof ResilientPayments.Outcome.Done done
                && done.result() instanceof PaymentGateway.Declined declined) {
            type = EventTypes.PAYMENT_DECLINED.name();
            payload.put("reason", declined.reason());
        } else if (outcome instanceof ResilientPayments.Outcome.RetryLater later) {
            type = EventTypes.PAYMENT_FAILED.name();
            payload.put("reason", "retry later: " + later.reason()).put("retryable", true);
        } else {
            type = EventTypes.PAYMENT_FAILED.name();
            String reason = outcome instanceof ResilientPayments.Outcome.Failed failed
                    ? failed.reason()
                    : "unexpected gateway answer";
            payload.put("reason", reason).put("retryable", false);
        }
        count(type);
        EventEnvelope reply = new EventEnvelope(
                UUID.randomUUID(),
                type,
                "payment",
                orderId,
                null,
                Instant.now(),
                orderId,
                command.eventId().toString(),
                command.traceparent(),
                payload);
        Headers headers = new RecordHeaders();
        byte[] value = replies.serialize(Topics.PAYMENT_EVENTS.name(), headers, reply);
        return new ProducerRecord<>(
                Topics.PAYMENT_EVENTS.name(), null, orderId.getBytes(StandardCharsets.UTF_8), value, headers);
    }

    private void count(String type) {
        // register() returns the existing counter for the same name and tags
        Counter.builder("bulwark.payments.replies")
                .tag("type", type.toLowerCase(Locale.ROOT))
                .register(meters)
                .increment();
    }
}
