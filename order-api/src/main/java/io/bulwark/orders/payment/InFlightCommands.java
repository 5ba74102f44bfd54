package io.bulwark.orders.payment;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * The payment commands being handled, per partition in offset order. A command's replies may be taken as soon
 * as it is done, without waiting for slower ones polled with it; a partition's offset moves only past its
 * done prefix, so a slow call holds back only its own partition's commit. Commands of one order run one after
 * the other, in topic order (a {@code VoidPayment} following an {@code AuthorizePayment} reaches the gateway
 * after it); commands of different orders run concurrently on {@code calls}. Used by the worker's poll thread
 * only (the calls complete on their own threads).
 */
final class InFlightCommands {

    /** A command being handled; its replies are taken once done, its offset committed once all before it are. */
    private static final class Entry {
        final ConsumerRecord<byte[], byte[]> record;
        final CompletableFuture<List<ProducerRecord<byte[], byte[]>>> replies;
        boolean taken;

        Entry(ConsumerRecord<byte[], byte[]> record, CompletableFuture<List<ProducerRecord<byte[], byte[]>>> replies) {
            this.record = record;
            this.replies = replies;
        }
    }

    /** What is ready to commit: the replies of the commands done since the last take, and the offsets to commit. */
    record Completed(List<ProducerRecord<byte[], byte[]>> replies, Map<TopicPartition, OffsetAndMetadata> offsets) {
        boolean isEmpty() {
            return replies.isEmpty() && offsets.isEmpty();
        }
    }

    private final Function<ConsumerRecord<byte[], byte[]>, List<ProducerRecord<byte[], byte[]>>> handler;
    private final Executor calls;
    private final Map<TopicPartition, ArrayDeque<Entry>> byPartition = new HashMap<>();
    /** The last call of each order still running. */
    private final Map<String, CompletableFuture<?>> lastCallOfOrder = new HashMap<>();

    private int size;

    InFlightCommands(
            Function<ConsumerRecord<byte[], byte[]>, List<ProducerRecord<byte[], byte[]>>> handler, Executor calls) {
        this.handler = handler;
        this.calls = calls;
    }

    /** Starts handling {@code record}: after the previous call of the same order, if one is still running. */
    void start(ConsumerRecord<byte[], byte[]> record) {
        lastCallOfOrder.values().removeIf(CompletableFuture::isDone);
        String order = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
        CompletableFuture<?> previous = order == null ? null : lastCallOfOrder.get(order);
        CompletableFuture<List<ProducerRecord<byte[], byte[]>>> call = previous == null
                ? CompletableFuture.supplyAsync(() -> handler.apply(record), calls)
                : previous.handle((result, error) -> null).thenApplyAsync(ignored -> handler.apply(record), calls);
        if (order != null) {
            lastCallOfOrder.put(order, call);
        }
        byPartition
                .computeIfAbsent(new TopicPartition(record.topic(), record.partition()), tp -> new ArrayDeque<>())
                .add(new Entry(record, call));
        size++;
    }

    /** Commands started and not yet committed past. */
    int size() {
        return size;
    }

    /** Commands started and not yet done: calls running or waiting for a thread or for their order's previous one. */
    int running() {
        int running = 0;
        for (ArrayDeque<Entry> queue : byPartition.values()) {
            for (Entry entry : queue) {
                if (!entry.replies.isDone()) {
                    running++;
                }
            }
        }
        return running;
    }

    /**
     * Partitions holding at least {@code limit} commands not yet committed past — behind a slow one at their head,
     * most of them done already (their replies sent) but not committable until it is.
     */
    Set<TopicPartition> holdingAtLeast(int limit) {
        Set<TopicPartition> holding = new HashSet<>();
        byPartition.forEach((partition, queue) -> {
            if (queue.size() >= limit) {
                holding.add(partition);
            }
        });
        return holding;
    }

    Set<TopicPartition> partitions() {
        return new HashSet<>(byPartition.keySet());
    }

    /**
     * Takes the replies of every done command not taken before, and per partition the offset after its done
     * prefix (those commands leave). If the transaction that carries them fails, call {@link #clear} and
     * go back to the committed offsets: what was taken runs again.
     */
    Completed takeCompleted() {
        List<ProducerRecord<byte[], byte[]>> replies = new ArrayList<>();
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        byPartition.forEach((partition, queue) -> {
            for (Entry entry : queue) {
                if (!entry.taken && entry.replies.isDone()) {
                    replies.addAll(entry.replies.join());
                    entry.taken = true;
                }
            }
            long next = -1;
            while (!queue.isEmpty() && queue.peekFirst().taken) {
                next = queue.pollFirst().record.offset() + 1;
                size--;
            }
            if (next >= 0) {
                offsets.put(partition, new OffsetAndMetadata(next));
            }
        });
        return new Completed(replies, offsets);
    }

    /** Waits, until {@code deadlineNanos} at the latest, for the commands of {@code partitions} to be done. */
    void awaitDone(Collection<TopicPartition> partitions, long deadlineNanos) {
        for (TopicPartition partition : partitions) {
            for (Entry entry : byPartition.getOrDefault(partition, new ArrayDeque<>())) {
                try {
                    entry.replies.get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (Exception e) {
                    break; // not done in time: runs again after the rebalance or restart
                }
            }
        }
    }

    /** Forgets the commands of {@code partitions} (they run again wherever the partitions go next). */
    void forget(Collection<TopicPartition> partitions) {
        for (TopicPartition partition : partitions) {
            ArrayDeque<Entry> gone = byPartition.remove(partition);
            size -= gone == null ? 0 : gone.size();
        }
    }

    /** Forgets everything in flight. */
    void clear() {
        byPartition.clear();
        lastCallOfOrder.clear();
        size = 0;
    }
}
