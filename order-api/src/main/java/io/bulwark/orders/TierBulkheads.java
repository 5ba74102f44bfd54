package io.bulwark.orders;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Semaphore bulkheads per request tier, each with a queue of bounded depth and its own rejection
 * policy, so a flood of one kind of request cannot take the threads another kind needs:
 *
 * <ul>
 *   <li>{@link Policy#REJECT}: no queue — a request that finds every permit taken is refused at once;</li>
 *   <li>{@link Policy#WAIT}: up to {@code queueDepth} requests wait, each at most {@code maxWaitMs},
 *       for a permit; the next one is refused at once;</li>
 *   <li>{@link Policy#SHED}: like REJECT, and also refused while any other tier has requests queued —
 *       optional work steps aside first when the service is busy.</li>
 * </ul>
 *
 * A waiting request holds an HTTP thread too, so {@link #threadsNeeded} (every permit and queue slot)
 * must fit the HTTP pool: {@link OrderApiConfig} refuses to start otherwise. A refusal is 503
 * {@code overloaded} with {@code Retry-After}, counted in {@code bulwark.orders.bulkhead.rejected{tier}}.
 */
final class TierBulkheads {

    /** How a tier answers when its permits are taken. */
    enum Policy {
        REJECT,
        WAIT,
        SHED
    }

    /** One tier's limits: {@code concurrency/queueDepth/maxWaitMs[/policy]}, e.g. {@code 16/8/500}. */
    record Limits(int concurrency, int queueDepth, long maxWaitMs, Policy policy) {
        Limits {
            Objects.requireNonNull(policy, "policy");
            if (concurrency < 1 || queueDepth < 0 || maxWaitMs < 0) {
                throw new IllegalArgumentException("needs concurrency >= 1, queue depth >= 0, wait >= 0");
            }
            if (policy == Policy.WAIT && (queueDepth == 0 || maxWaitMs == 0)) {
                throw new IllegalArgumentException("the wait policy needs a queue depth and a wait above 0");
            }
            if (policy != Policy.WAIT && queueDepth > 0) {
                throw new IllegalArgumentException("only the wait policy queues; use queue depth 0 with " + policy);
            }
        }

        /** Parses {@code concurrency/queueDepth/maxWaitMs[/reject|wait|shed]}; the policy defaults to wait when there is a queue. */
        static Limits parse(String key, String value) {
            String[] parts = value.trim().split("/");
            try {
                if (parts.length < 3 || parts.length > 4) {
                    throw new IllegalArgumentException("expected 3 or 4 parts");
                }
                int queue = Integer.parseInt(parts[1].trim());
                Policy policy = parts.length == 4
                        ? Policy.valueOf(parts[3].trim().toUpperCase(Locale.ROOT))
                        : queue > 0 ? Policy.WAIT : Policy.REJECT;
                return new Limits(Integer.parseInt(parts[0].trim()), queue, Long.parseLong(parts[2].trim()), policy);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(key + " = '" + value + "' must be <concurrency>/<queue depth>/"
                        + "<max wait ms>[/reject|wait|shed], e.g. 16/8/500 or 2/0/0/shed: " + e.getMessage());
            }
        }

        int threadsNeeded() {
            return concurrency + queueDepth;
        }
    }

    private final Map<OrderApi.Tier, Limits> limits;
    private final Map<OrderApi.Tier, Semaphore> permits = new EnumMap<>(OrderApi.Tier.class);
    private final Map<OrderApi.Tier, AtomicInteger> waiting = new EnumMap<>(OrderApi.Tier.class);
    private final Map<OrderApi.Tier, Counter> rejected = new EnumMap<>(OrderApi.Tier.class);

    TierBulkheads(Map<OrderApi.Tier, Limits> limits, MeterRegistry meters) {
        this.limits = new EnumMap<>(limits);
        for (OrderApi.Tier tier : OrderApi.Tier.values()) {
            Limits tierLimits = Objects.requireNonNull(limits.get(tier), "no bulkhead for tier " + tier);
            String name = tier.name().toLowerCase(Locale.ROOT);
            permits.put(tier, new Semaphore(tierLimits.concurrency()));
            waiting.put(tier, new AtomicInteger());
            rejected.put(
                    tier,
                    Counter.builder("bulwark.orders.bulkhead.rejected")
                            .tag("tier", name)
                            .description("Requests refused 503 overloaded by their tier's bulkhead")
                            .register(meters));
            Gauge.builder("bulwark.orders.bulkhead.queued", waiting.get(tier), AtomicInteger::get)
                    .tag("tier", name)
                    .register(meters);
        }
    }

    /** Permits and queue slots of every tier: the HTTP threads they can occupy at once. */
    static int threadsNeeded(Map<OrderApi.Tier, Limits> limits) {
        return limits.values().stream().mapToInt(Limits::threadsNeeded).sum();
    }

    /** Takes a permit of {@code tier} per its policy; false when the request is to be refused. */
    boolean tryEnter(OrderApi.Tier tier) throws InterruptedException {
        Limits tierLimits = limits.get(tier);
        Semaphore semaphore = permits.get(tier);
        boolean entered = switch (tierLimits.policy()) {
            case REJECT -> semaphore.tryAcquire();
            case SHED -> !othersQueued(tier) && semaphore.tryAcquire();
            case WAIT -> semaphore.tryAcquire() || queue(tier, tierLimits, semaphore);
        };
        if (!entered) {
            rejected.get(tier).increment();
        }
        return entered;
    }

    void exit(OrderApi.Tier tier) {
        permits.get(tier).release();
    }

    private boolean queue(OrderApi.Tier tier, Limits tierLimits, Semaphore semaphore) throws InterruptedException {
        AtomicInteger queued = waiting.get(tier);
        if (queued.incrementAndGet() > tierLimits.queueDepth()) {
            queued.decrementAndGet();
            return false;
        }
        try {
            return semaphore.tryAcquire(tierLimits.maxWaitMs(), TimeUnit.MILLISECONDS);
        } finally {
            queued.decrementAndGet();
        }
    }

    private boolean othersQueued(OrderApi.Tier tier) {
        return waiting.entrySet().stream()
                .anyMatch(e -> e.getKey() != tier && e.getValue().get() > 0);
    }
}
