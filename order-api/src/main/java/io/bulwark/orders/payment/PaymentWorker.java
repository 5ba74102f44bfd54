package io.bulwark.orders.payment;

import io.bulwark.health.ProgressWatch;
import io.bulwark.schemas.Topics;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
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
 * <p>This class is the poll loop and its lifecycle; the jobs it runs are each in their own class:
 * {@link InFlightCommands} (what is being handled, per partition and per order),
 * {@link ReplyTransactions} (replies and offsets in one transaction), {@link PaymentCommandHandler}
 * (gateway dispatch) and {@link PaymentDeadLetters}.
 *
 * <p><b>Delivery.</b> Commands are handled concurrently (at most {@code 4 × concurrency} running; beyond that
 * the consumer pauses, and a partition with {@code 4 × concurrency} commands waiting to be committed behind a
 * slow one pauses alone). As each finishes, its reply is sent, and the offsets of every
 * partition's finished prefix commit, in one Kafka transaction per poll — a slow call (a gateway
 * asking to retry after a second) holds back only its partition's offset, not the other replies.
 * After a crash the uncommitted commands run again; the gateway idempotency key is derived from the
 * command id, so the gateway answers a repeat with the first result and never charges twice. Voids are
 * acknowledged by silence (the saga does not wait); a void the gateway cannot take now is tried again in
 * place; one it refuses, or still cannot take after that, goes to the dead-letter topic, like records that
 * cannot be read, with the cause in {@code __streams.errors.*} headers.
 */
public final class PaymentWorker implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PaymentWorker.class);

    /** How long commands may wait with no reply transaction committed before the worker counts as stalled. */
    public static final Duration DEFAULT_STALL_TIMEOUT = Duration.ofSeconds(30);

    /** How long a rebalance or a stop waits for the commands in flight before committing what is done. */
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(30);

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final ReplyTransactions transactions;
    private final ExecutorService calls;
    private final InFlightCommands inFlight;
    private final int maxInFlight;
    private final Thread thread;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final ProgressWatch progress;
    private volatile boolean running = true;
    /** What the loop saw at its last turn (read by health checks). */
    private volatile long lastLoopNanos = System.nanoTime();

    private volatile long workWaiting;

    public PaymentWorker(
            String bootstrapServers,
            String groupId,
            PaymentGateway gateway,
            ResilientPayments payments,
            int concurrency,
            MeterRegistry meters) {
        this(bootstrapServers, groupId, gateway, payments, concurrency, meters, DEFAULT_STALL_TIMEOUT, null);
    }

    /** The transactional id of the worker named {@code instanceId} in {@code groupId}. */
    public static String transactionalId(String groupId, String instanceId) {
        return groupId + "-" + instanceId;
    }

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
    public PaymentWorker(
            String bootstrapServers,
            String groupId,
            PaymentGateway gateway,
            ResilientPayments payments,
            int concurrency,
            MeterRegistry meters,
            Duration stallTimeout,
            String instanceId) {
        boolean named = instanceId != null && !instanceId.isBlank();
        this.progress = new ProgressWatch(stallTimeout, System::nanoTime);
        this.consumer = new KafkaConsumer<>(
                consumerProperties(bootstrapServers, groupId, named ? instanceId : null),
                new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
        this.transactions = new ReplyTransactions(
                bootstrapServers,
                transactionalId(groupId, named ? instanceId : UUID.randomUUID().toString()));
        this.calls = Executors.newFixedThreadPool(concurrency, r -> {
            Thread t = new Thread(r, "payment-call");
            t.setDaemon(true);
            return t;
        });
        PaymentCommandHandler handler =
                new PaymentCommandHandler(gateway, payments, new PaymentDeadLetters(meters), meters);
        this.inFlight = new InFlightCommands(handler::handle, calls);
        this.maxInFlight = concurrency * 4;
        consumer.subscribe(List.of(Topics.PAYMENT_COMMANDS.name()), new DrainOnRevoke());
        this.thread = new Thread(this::run, "payment-worker");
        thread.start();
    }

    private static Properties consumerProperties(String bootstrapServers, String groupId, String instanceId) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        if (instanceId != null) {
            props.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, instanceId);
        }
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 200);
        props.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, 120_000);
        return props;
    }

    private void run() {
        try {
            while (running) {
                lastLoopNanos = System.nanoTime();
                workWaiting = inFlight.size() + lag();
                for (ConsumerRecord<byte[], byte[]> record :
                        consumer.poll(Duration.ofMillis(inFlight.size() == 0 ? 200 : 10))) {
                    inFlight.start(record);
                }
                commitCompleted();
                backPressure();
            }
        } catch (WakeupException e) {
            if (running) {
                throw e;
            }
        } catch (ProducerFencedException | OutOfOrderSequenceException | AuthorizationException e) {
            log.error("Payment worker stops: its producer cannot continue", e);
        } finally {
            try {
                drain(inFlight.partitions());
            } catch (RuntimeException e) {
                log.warn("Payment worker could not commit its last replies; they run again: {}", e.toString());
            }
            consumer.close();
            transactions.close();
            calls.shutdownNow();
            stopped.countDown();
        }
    }

    /**
     * Stops fetching while the calls running are many, and stops fetching one partition while many of its
     * commands wait behind a slow one at its head (done, their replies sent, but not committable before it).
     * Counting those done commands against the whole worker, as it did until 2026-12-04, let a few slow gateway
     * calls — 10% answered 5 s late at 40 orders/s hold ~200 — pause every partition: authorizations then waited
     * unread past their saga's deadline, each time-out added a void, and the run confirmed almost nothing more.
     */
    private void backPressure() {
        Set<TopicPartition> assigned = consumer.assignment();
        Set<TopicPartition> pause =
                new HashSet<>(inFlight.running() >= maxInFlight ? assigned : inFlight.holdingAtLeast(maxInFlight));
        pause.retainAll(assigned);
        Set<TopicPartition> resume = new HashSet<>(consumer.paused());
        resume.removeAll(pause);
        if (!pause.isEmpty()) {
            consumer.pause(pause);
        }
        if (!resume.isEmpty()) {
            consumer.resume(resume);
        }
    }

    /**
     * Sends the replies of every command that is done and commits, per partition, the offsets of the done
     * prefix, all in one transaction. If that fails, goes back to the committed offsets: the commands past
     * them run again, their replies may repeat (the saga ignores a reply to a step it is not waiting for) and
     * the gateway answers a repeated key once.
     */
    private void commitCompleted() {
        InFlightCommands.Completed completed = inFlight.takeCompleted();
        if (!completed.isEmpty() && !transactions.commit(completed, consumer.groupMetadata())) {
            rewind();
        }
    }

    /** Forgets what is in flight and goes back to the committed offsets. */
    private void rewind() {
        Set<TopicPartition> partitions = inFlight.partitions();
        inFlight.clear();
        consumer.committed(partitions)
                .forEach(
                        (partition, committed) -> consumer.seek(partition, committed == null ? 0 : committed.offset()));
    }

    /** Waits (bounded) for the commands of {@code partitions}, commits what is done, and forgets the rest. */
    private void drain(Collection<TopicPartition> partitions) {
        inFlight.awaitDone(partitions, System.nanoTime() + DRAIN_TIMEOUT.toNanos());
        commitCompleted();
        inFlight.forget(partitions);
    }

    /** On a rebalance: finish and commit the revoked partitions' commands before they move. */
    private final class DrainOnRevoke implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            drain(partitions);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            // nothing is in flight for newly assigned partitions
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            inFlight.forget(partitions); // another member owns them already: commit nothing for them
        }
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
        return progress.observe(transactions.committed(), workWaiting > 0 || loopStuck);
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            stopped.await();
            thread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
