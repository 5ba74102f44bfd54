package io.bulwark.orders.payment;

import io.bulwark.guard.resilience.BreakerTransitions;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.bulkhead.BulkheadFullException;
import io.github.resilience4j.bulkhead.BulkheadRegistry;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.micrometer.tagged.TaggedBulkheadMetrics;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics;
import io.github.resilience4j.micrometer.tagged.TaggedRetryMetrics;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.github.resilience4j.retry.RetryRegistry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

/**
 * Calls to the payment gateway through Resilience4j, from the outside in:
 *
 * <ol>
 *   <li><b>a semaphore bulkhead per tier</b> — {@link Tier#CRITICAL} (authorizations),
 *       {@link Tier#STANDARD} (voids), {@link Tier#OPTIONAL} (anything that may be skipped), each
 *       with its own concurrency and wait; the rejection policy is the wait: a call that gets no
 *       permit within it is not made ({@link Outcome.RetryLater});</li>
 *   <li><b>a circuit breaker</b> — count-based sliding window; opens on the failure rate or the
 *       slow-call rate; while open, calls are refused at once ({@link Outcome.RetryLater}); after
 *       the open wait, a few half-open probes decide whether it closes. Only retryable failures count;
 *       a 4xx other than 429 says nothing about the gateway's health. Transitions are logged and
 *       counted ({@code bulwark.payments.breaker.transitions});</li>
 *   <li><b>a retry inside the breaker</b> — only retryable failures (5xx, 429, timeouts, resets);
 *       exponential backoff with full jitter (uniform in [0, min(maxDelay, base·2^(n-1))]); a
 *       {@code Retry-After} is honoured, and one longer than {@code maxDelay} ends the retries
 *       (the saga retries later instead). The breaker sees one outcome per retried call.</li>
 * </ol>
 *
 * <p>Every attempt of one command carries the same idempotency key (the caller derives it from the
 * command id), so a retried charge is never a second charge.
 */
public final class ResilientPayments {

    public enum Tier {
        CRITICAL,
        STANDARD,
        OPTIONAL
    }

    /** What a call ended in, for the worker to turn into a reply. */
    public sealed interface Outcome {
        record Done(PaymentGateway.Result result) implements Outcome {}

        /** Not now: the breaker is open, the bulkhead full, or retries ran out on retryable failures. */
        record RetryLater(String reason) implements Outcome {}

        /** The gateway refused the request itself (a 4xx other than 429): retrying cannot help. */
        record Failed(String reason) implements Outcome {}
    }

    /** Bulkhead of one tier: permits and the longest wait for one. */
    public record BulkheadSettings(int maxConcurrent, Duration maxWait) {}

    public record Settings(
            Map<Tier, BulkheadSettings> bulkheads,
            int breakerWindow,
            int breakerMinimumCalls,
            float failureRatePercent,
            Duration slowCall,
            float slowCallRatePercent,
            Duration openWait,
            int halfOpenCalls,
            int maxAttempts,
            Duration baseDelay,
            Duration maxDelay) {

        public static Settings defaults() {
            Map<Tier, BulkheadSettings> bulkheads = new EnumMap<>(Tier.class);
            bulkheads.put(Tier.CRITICAL, new BulkheadSettings(32, Duration.ofMillis(500)));
            bulkheads.put(Tier.STANDARD, new BulkheadSettings(8, Duration.ofMillis(100)));
            bulkheads.put(Tier.OPTIONAL, new BulkheadSettings(2, Duration.ZERO));
            return new Settings(
                    bulkheads,
                    20,
                    10,
                    50f,
                    Duration.ofSeconds(2),
                    80f,
                    Duration.ofSeconds(5),
                    3,
                    4,
                    Duration.ofMillis(100),
                    Duration.ofSeconds(2));
        }

        public Settings withBreaker(int window, int minimumCalls, Duration openWait, int halfOpenCalls) {
            return new Settings(
                    bulkheads,
                    window,
                    minimumCalls,
                    failureRatePercent,
                    slowCall,
                    slowCallRatePercent,
                    openWait,
                    halfOpenCalls,
                    maxAttempts,
                    baseDelay,
                    maxDelay);
        }

        public Settings withRetry(int attempts, Duration base, Duration max) {
            return new Settings(
                    bulkheads,
                    breakerWindow,
                    breakerMinimumCalls,
                    failureRatePercent,
                    slowCall,
                    slowCallRatePercent,
                    openWait,
                    halfOpenCalls,
                    attempts,
                    base,
                    max);
        }

        public Settings withBulkhead(Tier tier, BulkheadSettings settings) {
            Map<Tier, BulkheadSettings> copy = new EnumMap<>(bulkheads);
            copy.put(tier, settings);
            return new Settings(
                    copy,
                    breakerWindow,
                    breakerMinimumCalls,
                    failureRatePercent,
                    slowCall,
                    slowCallRatePercent,
                    openWait,
                    halfOpenCalls,
                    maxAttempts,
                    baseDelay,
                    maxDelay);
        }
    }

    private final CircuitBreaker breaker;
    private final Retry retry;
    private final Map<Tier, Bulkhead> bulkheads = new EnumMap<>(Tier.class);
    private final Counter retryLater;

    public ResilientPayments(String name, Settings settings, MeterRegistry meters) {
        CircuitBreakerRegistry breakers = CircuitBreakerRegistry.of(CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(settings.breakerWindow())
                .minimumNumberOfCalls(settings.breakerMinimumCalls())
                .failureRateThreshold(settings.failureRatePercent())
                .slowCallDurationThreshold(settings.slowCall())
                .slowCallRateThreshold(settings.slowCallRatePercent())
                .waitDurationInOpenState(settings.openWait())
                .permittedNumberOfCallsInHalfOpenState(settings.halfOpenCalls())
                .recordException(e -> e instanceof GatewayException g && g.retryable())
                .ignoreException(e -> e instanceof GatewayException g && !g.retryable())
                .build());
        this.breaker = breakers.circuitBreaker(name);
        BreakerTransitions.publish(breaker, "payment gateway", "bulwark.payments.breaker.transitions", meters);
        Duration maxDelay = settings.maxDelay();
        RetryRegistry retries = RetryRegistry.of(RetryConfig.<Object>custom()
                .maxAttempts(settings.maxAttempts())
                .retryOnException(e -> e instanceof GatewayException g
                        && g.retryable()
                        && g.retryAfter()
                                .map(after -> after.compareTo(maxDelay) <= 0)
                                .orElse(true))
                .intervalBiFunction((attempt, outcome) -> {
                    if (outcome.isLeft()
                            && outcome.getLeft() instanceof GatewayException g
                            && g.retryAfter().isPresent()) {
                        return g.retryAfter().get().toMillis();
                    }
                    return fullJitter(attempt, settings.baseDelay(), maxDelay);
                })
                .build());
        this.retry = retries.retry(name);
        BulkheadRegistry bulkheadRegistry = BulkheadRegistry.ofDefaults();
        for (Tier tier : Tier.values()) {
            BulkheadSettings b = settings.bulkheads().get(tier);
            bulkheads.put(
                    tier,
                    bulkheadRegistry.bulkhead(
                            name + "-" + tier.name().toLowerCase(Locale.ROOT),
                            BulkheadConfig.custom()
                                    .maxConcurrentCalls(b.maxConcurrent())
                                    .maxWaitDuration(b.maxWait())
                                    .build()));
        }
        TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(breakers).bindTo(meters);
        TaggedRetryMetrics.ofRetryRegistry(retries).bindTo(meters);
        TaggedBulkheadMetrics.ofBulkheadRegistry(bulkheadRegistry).bindTo(meters);
        this.retryLater = Counter.builder("bulwark.payments.retry.later")
                .description("Gateway calls not made or given up, answered with 'retry later'")
                .register(meters);
    }

    /** The delay before retry {@code attempt} (1-based): uniform in [0, min(max, base·2^(attempt-1))]. */
    static long fullJitter(int attempt, Duration base, Duration max) {
        long cap = max.toMillis();
        long exponential = base.toMillis() << Math.min(Math.max(attempt - 1, 0), 30);
        long ceiling = Math.min(cap, exponential < 0 ? cap : exponential);
        return ceiling <= 0 ? 0 : ThreadLocalRandom.current().nextLong(ceiling + 1);
    }

    public Outcome call(Tier tier, Supplier<PaymentGateway.Result> call) {
        Supplier<PaymentGateway.Result> guarded = Bulkhead.decorateSupplier(
                bulkheads.get(tier), CircuitBreaker.decorateSupplier(breaker, Retry.decorateSupplier(retry, call)));
        try {
            return new Outcome.Done(guarded.get());
        } catch (BulkheadFullException e) {
            retryLater.increment();
            return new Outcome.RetryLater("bulkhead " + tier.name().toLowerCase(Locale.ROOT) + " full");
        } catch (CallNotPermittedException e) {
            retryLater.increment();
            return new Outcome.RetryLater("circuit breaker open");
        } catch (GatewayException e) {
            if (e.retryable()) {
                retryLater.increment();
                return new Outcome.RetryLater(e.getMessage());
            }
            return new Outcome.Failed(e.getMessage());
        }
    }

    public CircuitBreaker.State breakerState() {
        return breaker.getState();
    }
}
