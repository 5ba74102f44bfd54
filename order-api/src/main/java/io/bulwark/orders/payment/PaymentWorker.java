package io.bulwark.orders.payment;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bulwark.guard.idempotency.RequestFingerprint;
import io.bulwark.health.ProgressWatch;
import io.bulwark.schemas.DeadLetterHeaders;
import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.EventEnvelopeSerde;
import io.bulwark.schemas.EventSchemas;
import io.bulwark.schemas.Json;
import io.bulwark.schemas.Topics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The saga's payment participant: consumes {@code AuthorizePayment} / {@code VoidPayment} from
 * {@code bulwark.payment.commands}, calls the gateway through {@link ResilientPayments}, and replies
 * on {@code bulwark.payment.events} keyed by order id with the command's event id as causation id:
 * {@code PaymentAuthorized}, {@code PaymentDeclined}, or {@code PaymentFailed} ({@code retryable}
 * true for "retry later" — breaker open, bulkhead full, retries exhausted — so the saga re-sends
 * the command later with the same id).
 *
 * <p><b>Delivery.</b> Commands are handled concurrently (at most {@code 4 × concurrency} in flight;
 * beyond that the consumer pauses). As each finishes, its reply is sent, and the offsets of every
 * partition's finished prefix commit, in one Kafka transaction per poll — a slow call (a gateway
 * asking to retry after a second) holds back only its partition's offset, not the other replies.
 * After a crash the uncommitted commands run again; the gateway idempotency key is derived from the
 * command id, so the gateway answers a repeat with the first result and never charges twice. Voids are acknowledged by silence (the saga does not wait);
 * a void the gateway cannot take now is tried again in place (up to {@link #VOID_RETRY_FOR}); one it
 * refuses, or still cannot take after that, goes to the dead-letter topic, like records that cannot be
 * read, with the cause in {@code __streams.errors.*} headers.
 */
public final class PaymentWorker implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PaymentWorker.class);

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final KafkaProducer<byte[], byte[]> producer;
    private final PaymentGateway gateway;
    private final ResilientPayments payments;
    private final EventEnvelopeSerde serde;
    private final ExecutorService calls;
    private final Thread thread;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Counter deadLettered;
    private final MeterRegistry meters;
    private final int maxInFlight;
    private volatile boolean running = true;
    /** Liveness: transactions committed, and what the loop saw at its last turn (read by health checks). */
    private volatile long committedTransactions;
    private volatile long lastLoopNanos = System.nanoTime();
    private volatile long workWaiting;
    private final ProgressWatch progress;

    public PaymentWorker(String bootstrapServers, String groupId, PaymentGateway gateway, ResilientPayments payments,
            int concurrency, MeterRegistry meters) {
        this(bootstrapServers, groupId, gateway, payments, concurrency, meters, DEFAULT_STALL_TIMEOUT, null);
    }

    /** The transactional id of the worker named {@code instanceId} in {@code groupId}. */
    public static String transactionalId(String groupId, String instanceId) {
        return groupId + "-" + instanceId;
    }

    /** How long commands may wait with no reply transaction committed before the worker counts as stalled. */
    public static final Duration DEFAULT_STALL_TIMEOUT = Duration.ofSeconds(30);

    /**
     * @param stallTimeout how long commands may wait (fetched or not) with no reply transaction committed
     *                     before {@link #stalled()} is true
     * @param instanceId   this worker's stable name within its group (null: a random one). A worker started
     *                     again under the same name fences its predecessor: the transaction a killed worker
     *                     left open is aborted at once (else its replies' partitions stay blocked for
     *                     read-committed readers until the transaction times out, a minute), and it takes
     *                     back its partitions without waiting for the old member's session to expire
     *                     (static membership). Two live workers must never share one.
     */
    public PaymentWorker(String bootstrapServers, String groupId, PaymentGateway gateway, ResilientPayments payments,
            int concurrency, MeterRegistry meters, Duration stallTimeout, String instanceId) {
        String instance = instanceId == null || instanceId.isBlank() ? UUID.randomUUID().toString() : instanceId;
        this.progress = new ProgressWatch(stallTimeout, System::nanoTime);
        this.gateway = gateway;
        this.payments = payments;
        this.meters = meters;
        this.serde = EventEnvelopeSerde.inHeaders(EventSchemas.load());
        Properties consumerProps = new Properties();
        consumerProps.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        consumerProps.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        if (instanceId != null && !instanceId.isBlank()) {
            consumerProps.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, instanceId);
        }
        consumerProps.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        consumerProps.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumerProps.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        consumerProps.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 200);
        consumerProps.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, 120_000);
        this.consumer = new KafkaConsumer<>(consumerProps, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        Properties producerProps = new Properties();
        producerProps.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        producerProps.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId(groupId, instance));
        producerProps.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        this.producer = new KafkaProducer<>(producerProps, new ByteArraySerializer(), new ByteArraySerializer());
        producer.initTransactions();
        this.calls = Executors.newFixedThreadPool(concurrency, r -> {
            Thread t = new Thread(r, "payment-call");
            t.setDaemon(true);
            return t;
        });
        this.deadLettered = Counter.builder("bulwark.payments.dead.lettered").register(meters);
        this.maxInFlight = concurrency * 4;
        consumer.subscribe(List.of(Topics.PAYMENT_COMMANDS.name()), new DrainOnRevoke());
        this.thread = new Thread(this::run, "payment-worker");
        thread.start();
    }

    /** A command being handled; its replies are sent once done, its offset committed once all before it are. */
    private static final class InFlight {
        final ConsumerRecord<byte[], byte[]> record;
        final CompletableFuture<List<ProducerRecord<byte[], byte[]>>> replies;
        boolean sent;

        InFlight(ConsumerRecord<byte[], byte[]> record, CompletableFuture<List<ProducerRecord<byte[], byte[]>>> replies) {
            this.record = record;
            this.replies = replies;
        }
    }

    private final Map<TopicPartition, ArrayDeque<InFlight>> inFlight = new HashMap<>();
    /** The last call of each order still running: calls of one order run one after the other. */
    private final Map<String, CompletableFuture<?>> lastCallOfOrder = new HashMap<>();

    /**
     * Starts the call for {@code record} — after the previous call of the same order, if one is still
     * running. Commands of different orders run concurrently; those of one order keep their topic order,
     * so a VoidPayment that follows an AuthorizePayment (the saga compensating a timed-out step) reaches
     * the gateway after it, and voids it, instead of finding nothing to void and letting it stand.
     */
    private CompletableFuture<List<ProducerRecord<byte[], byte[]>>> call(ConsumerRecord<byte[], byte[]> record) {
        lastCallOfOrder.values().removeIf(CompletableFuture::isDone);
        String order = record.key() == null ? null : new String(record.key(), java.nio.charset.StandardCharsets.UTF_8);
        CompletableFuture<?> previous = order == null ? null : lastCallOfOrder.get(order);
        CompletableFuture<List<ProducerRecord<byte[], byte[]>>> next = previous == null
                ? CompletableFuture.supplyAsync(() -> handle(record), calls)
                : previous.handle((result, error) -> null).thenApplyAsync(ignored -> handle(record), calls);
        if (order != null) {
            lastCallOfOrder.put(order, next);
        }
        return next;
    }

    private void run() {
        try {
            while (running) {
                int pending = inFlight.values().stream().mapToInt(ArrayDeque::size).sum();
                lastLoopNanos = System.nanoTime();
                workWaiting = pending + lag();
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(pending == 0 ? 200 : 10));
                for (ConsumerRecord<byte[], byte[]> record : records) {
                    inFlight.computeIfAbsent(new TopicPartition(record.topic(), record.partition()),
                            tp -> new ArrayDeque<>()).add(new InFlight(record, call(record)));
                }
                flushCompleted();
                // Back-pressure: stop fetching while the calls in flight are many.
                pending = inFlight.values().stream().mapToInt(ArrayDeque::size).sum();
                if (pending >= maxInFlight) {
                    consumer.pause(consumer.assignment());
                } else if (!consumer.paused().isEmpty()) {
                    consumer.resume(consumer.paused());
                }
            }
        } catch (WakeupException e) {
            if (running) {
                throw e;
            }
        } catch (ProducerFencedException | OutOfOrderSequenceException | AuthorizationException e) {
            log.error("Payment worker stops: its producer cannot continue", e);
        } finally {
            try {
                drain(new HashSet<>(inFlight.keySet()));
            } catch (RuntimeException e) {
                log.warn("Payment worker could not commit its last replies; they run again: {}", e.toString());
            }
            consumer.close();
            producer.close(Duration.ofSeconds(5));
            calls.shutdownNow();
            stopped.countDown();
        }
    }

    /**
     * Sends the replies of every command that is done — without waiting for slower ones polled with it,
     * so one call honouring a long Retry-After does not hold back the others — and commits, per
     * partition, the offsets of the done prefix, all in one transaction. After a crash the commands
     * past the committed offsets run again: their replies may repeat (the saga ignores a reply to a
     * step it is not waiting for) and the gateway answers a repeated key once.
     */
    private void flushCompleted() {
        List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>();
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        inFlight.forEach((partition, queue) -> {
            for (InFlight entry : queue) {
                if (!entry.sent && entry.replies.isDone()) {
                    out.addAll(entry.replies.join());
                    entry.sent = true;
                }
            }
            long next = -1;
            while (!queue.isEmpty() && queue.peekFirst().sent) {
                next = queue.pollFirst().record.offset() + 1;
            }
            if (next >= 0) {
                offsets.put(partition, new OffsetAndMetadata(next));
            }
        });
        if (out.isEmpty() && offsets.isEmpty()) {
            return;
        }
        try {
            producer.beginTransaction();
            out.forEach(producer::send);
            if (!offsets.isEmpty()) {
                producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
            }
            producer.commitTransaction();
            committedTransactions++;
        } catch (ProducerFencedException | OutOfOrderSequenceException | AuthorizationException fatal) {
            throw fatal;
        } catch (KafkaException e) {
            log.warn("Reply transaction failed; the uncommitted commands run again (the gateway answers repeats "
                    + "once): {}", e.toString());
            producer.abortTransaction();
            rewind();
        }
    }

    /** Forgets what is in flight and goes back to the committed offsets. */
    private void rewind() {
        Set<TopicPartition> partitions = new HashSet<>(inFlight.keySet());
        inFlight.clear();
        lastCallOfOrder.clear();
        consumer.committed(partitions).forEach((partition, committed) ->
                consumer.seek(partition, committed == null ? 0 : committed.offset()));
    }

    /** Waits (bounded) for the commands of {@code partitions} and commits what is done. */
    private void drain(Set<TopicPartition> partitions) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        for (TopicPartition partition : partitions) {
            for (InFlight entry : inFlight.getOrDefault(partition, new ArrayDeque<>())) {
                try {
                    entry.replies.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (Exception e) {
                    break; // not done in time: runs again after the rebalance or restart
                }
            }
        }
        flushCompleted();
        inFlight.keySet().removeAll(partitions);
    }

    /** On a rebalance: finish and commit the revoked partitions' commands before they move. */
    private final class DrainOnRevoke implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            drain(new HashSet<>(partitions));
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            // nothing is in flight for newly assigned partitions
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            inFlight.keySet().removeAll(partitions); // another member owns them already: commit nothing for them
        }
    }

    /** One command → its reply (or dead letter); never throws. */
    private List<ProducerRecord<byte[], byte[]>> handle(ConsumerRecord<byte[], byte[]> record) {
        EventEnvelope command;
        try {
            command = serde.deserializer().deserialize(record.topic(), record.headers(), record.value());
        } catch (RuntimeException e) {
            return List.of(deadLetter(record, e.getClass().getName(), String.valueOf(e.getMessage())));
        }
        String key = RequestFingerprint.deriveKey("payment", command.type(), Map.of("commandId",
                command.eventId().toString()));
        String orderId = command.payload().path("orderId").asText(command.aggregateId());
        switch (command.type()) {
            case "AuthorizePayment" -> {
                ResilientPayments.Outcome outcome = payments.call(ResilientPayments.Tier.CRITICAL,
                        () -> gateway.authorize(orderId, command.payload().path("amountCents").asLong(),
                                command.payload().path("currency").asText(), key));
                return List.of(reply(command, orderId, outcome));
            }
            case "VoidPayment" -> {
                ResilientPayments.Outcome outcome = voidUntilDone(orderId, key);
                if (outcome instanceof ResilientPayments.Outcome.Done) {
                    count("PaymentVoided");
                    return List.of();
                }
                return List.of(deadLetter(record, "VoidFailed", "void of " + orderId + " not done: " + outcome));
            }
            default -> {
                return List.of(deadLetter(record, "UnknownCommand", "unknown payment command " + command.type()));
            }
        }
    }

    /** How long a void the gateway answers "retry later" is tried again before it is dead-lettered. */
    static final Duration VOID_RETRY_FOR = Duration.ofMinutes(15);
    private static final long VOID_BACKOFF_MAX_MS = 10_000;

    /**
     * A void is a compensation nobody waits for: if it is dead-lettered while the gateway is merely
     * unavailable (breaker open, retries spent), money stays taken for an order that failed. So a
     * "retry later" is tried again here, backing off from 0.5 s to 10 s, for up to {@link #VOID_RETRY_FOR};
     * its partition's offset does not move meanwhile, so a restart runs it again (same key: the gateway
     * voids once). Only a refusal ({@code Failed}) or the end of that time dead-letters it.
     */
    private ResilientPayments.Outcome voidUntilDone(String orderId, String key) {
        long giveUpAt = System.nanoTime() + VOID_RETRY_FOR.toNanos();
        long backoffMs = 500;
        while (true) {
            ResilientPayments.Outcome outcome = payments.call(ResilientPayments.Tier.STANDARD,
                    () -> gateway.voidPayment(orderId, key));
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

    private ProducerRecord<byte[], byte[]> reply(EventEnvelope command, String orderId,
            ResilientPayments.Outcome outcome) {
        ObjectNode payload = Json.mapper().createObjectNode().put("orderId", orderId);
        String type;
        if (outcome instanceof ResilientPayments.Outcome.Done done
                && done.result() instanceof PaymentGateway.Authorized authorized) {
            type = "PaymentAuthorized";
            payload.put("authorizationId", authorized.chargeId());
        } else if (outcome instanceof ResilientPayments.Outcome.Done done
                && done.result() instanceof PaymentGateway.Declined declined) {
            type = "PaymentDeclined";
            payload.put("reason", declined.reason());
        } else if (outcome instanceof ResilientPayments.Outcome.RetryLater later) {
            type = "PaymentFailed";
            payload.put("reason", "retry later: " + later.reason()).put("retryable", true);
        } else {
            type = "PaymentFailed";
            String reason = outcome instanceof ResilientPayments.Outcome.Failed failed ? failed.reason()
                    : "unexpected gateway answer";
            payload.put("reason", reason).put("retryable", false);
        }
        count(type);
        EventEnvelope reply = new EventEnvelope(UUID.randomUUID(), type, "payment", orderId, null, Instant.now(),
                orderId, command.eventId().toString(), command.traceparent(), payload);
        Headers headers = new RecordHeaders();
        byte[] value = serde.serializer().serialize(Topics.PAYMENT_EVENTS.name(), headers, reply);
        return new ProducerRecord<>(Topics.PAYMENT_EVENTS.name(), null, orderId.getBytes(StandardCharsets.UTF_8), value,
                headers);
    }

    private ProducerRecord<byte[], byte[]> deadLetter(ConsumerRecord<byte[], byte[]> record, String exception,
            String message) {
        deadLettered.increment();
        log.warn("Dead-lettering payment command at {}-{}@{}: {}", record.topic(), record.partition(), record.offset(),
                message);
        Headers headers = new RecordHeaders(record.headers().toArray());
        headers.add(DeadLetterHeaders.EXCEPTION, exception.getBytes(StandardCharsets.UTF_8));
        headers.add(DeadLetterHeaders.MESSAGE, message.getBytes(StandardCharsets.UTF_8));
        headers.add(DeadLetterHeaders.STACKTRACE, ("payment worker: " + message).getBytes(StandardCharsets.UTF_8));
        headers.add(DeadLetterHeaders.TOPIC, record.topic().getBytes(StandardCharsets.UTF_8));
        headers.add(DeadLetterHeaders.PARTITION, Integer.toString(record.partition()).getBytes(StandardCharsets.UTF_8));
        headers.add(DeadLetterHeaders.OFFSET, Long.toString(record.offset()).getBytes(StandardCharsets.UTF_8));
        return new ProducerRecord<>(Topics.DEAD_LETTERS.name(), null, record.key(), record.value(), headers);
    }

    private void count(String type) {
        // register() returns the existing counter for the same name and tags
        Counter.builder("bulwark.payments.replies").tag("type", type.toLowerCase(Locale.ROOT)).register(meters)
                .increment();
    }

    public boolean isRunning() {
        return stopped.getCount() > 0;
    }

    /** Commands not yet fetched on the assigned partitions (read_committed lag, as of the last fetch). */
    private long lag() {
        long lag = 0;
        for (TopicPartition partition : consumer.assignment()) {
            lag += consumer.currentLag(partition).orElse(0);
        }
        return lag;
    }

    /**
     * Whether commands have waited (fetched or not) with no reply transaction committed for longer than the
     * stall timeout, or the poll loop itself has not turned for that long. Meant for health checks: each
     * call is a sample.
     */
    public boolean stalled() {
        boolean loopStuck = System.nanoTime() - lastLoopNanos > progress.bound().toNanos();
        return progress.observe(committedTransactions, workWaiting > 0 || loopStuck);
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            stopped.await();
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
