package io.bulwark.orders.payment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.bulwark.orders.payment.GatewaySimulator.Faults;
import io.bulwark.orders.payment.ResilientPayments.BulkheadSettings;
import io.bulwark.orders.payment.ResilientPayments.Outcome;
import io.bulwark.orders.payment.ResilientPayments.Settings;
import io.bulwark.orders.payment.ResilientPayments.Tier;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The gateway's faults against the resilience policies, on a real socket to the simulator. */
class ResilientPaymentsTest {

    private GatewaySimulator simulator;
    private PaymentGateway gateway;
    private SimpleMeterRegistry meters;

    @BeforeEach
    void start() {
        simulator = new GatewaySimulator("127.0.0.1", 0);
        gateway = new PaymentGateway(simulator.baseUrl(), Duration.ofMillis(500), Duration.ofSeconds(2));
        meters = new SimpleMeterRegistry();
    }

    @AfterEach
    void stop() {
        simulator.close();
    }

    private ResilientPayments payments(Settings settings) {
        return new ResilientPayments("test-gateway", settings, meters);
    }

    private static Settings fast() {
        return Settings.defaults()
                .withRetry(3, Duration.ofMillis(5), Duration.ofMillis(50))
                .withBreaker(10, 5, Duration.ofMillis(300), 2);
    }

    private Outcome authorize(ResilientPayments payments, String orderId) {
        return payments.call(Tier.CRITICAL, () -> gateway.authorize(orderId, 1_000, "EUR", "key-" + orderId));
    }

    @Test
    void shouldRetryTransientFailuresWithTheSameKeyAndChargeOnce() {
        ResilientPayments payments = payments(fast());
        simulator.faults(Faults.none().withResets(0, 1.0)); // every charge's answer is lost
        assertThat(authorize(payments, "o-lost")).isInstanceOf(Outcome.RetryLater.class);
        assertThat(simulator.attempts()).as("bounded: maxAttempts").isEqualTo(3);
        simulator.faults(Faults.none());
        Outcome outcome = authorize(payments, "o-lost");
        assertThat(outcome).isInstanceOf(Outcome.Done.class);
        assertThat(simulator.authorizedCharges())
                .as("four attempts, one charge")
                .isEqualTo(1);
    }

    @Test
    void shouldNotRetryAClientError() {
        ResilientPayments payments = payments(fast());
        simulator.faults(Faults.none().withBadRequestRate(1.0));
        Outcome outcome = authorize(payments, "o-400");
        assertThat(outcome).isInstanceOf(Outcome.Failed.class);
        assertThat(simulator.attempts()).isEqualTo(1);
        assertThat(payments.breakerState())
                .as("a 4xx says nothing about the gateway's health")
                .isEqualTo(CircuitBreaker.State.CLOSED);
    }

    @Test
    void shouldReportADeclineAsAnAnswerNotAFailure() {
        ResilientPayments payments = payments(fast());
        Outcome outcome = payments.call(Tier.CRITICAL, () -> gateway.authorize("o-declined", 1_013, "EUR", "k-d"));
        assertThat(outcome)
                .isInstanceOfSatisfying(
                        Outcome.Done.class,
                        done -> assertThat(done.result()).isInstanceOf(PaymentGateway.Declined.class));
        assertThat(simulator.attempts()).isEqualTo(1);
    }

    @Test
    void shouldHonourRetryAfterAndGiveUpWhenItIsLongerThanTheCap() {
        ResilientPayments payments =
                payments(Settings.defaults().withRetry(2, Duration.ofMillis(5), Duration.ofSeconds(2)));
        simulator.faults(Faults.none().withThrottle(1.0, 1));
        long began = System.nanoTime();
        assertThat(authorize(payments, "o-429")).isInstanceOf(Outcome.RetryLater.class);
        long waitedMs = (System.nanoTime() - began) / 1_000_000;
        assertThat(simulator.attempts()).isEqualTo(2);
        assertThat(waitedMs).as("the second attempt waited for Retry-After: 1").isGreaterThanOrEqualTo(950);

        simulator.faults(Faults.none().withThrottle(1.0, 30));
        long before = simulator.attempts();
        assertThat(authorize(payments, "o-429-long")).isInstanceOf(Outcome.RetryLater.class);
        assertThat(simulator.attempts() - before)
                .as("Retry-After beyond maxDelay: no retry")
                .isEqualTo(1);
    }

    @Test
    void shouldOpenTheBreakerRejectFastAndCloseAfterHalfOpenProbes() {
        ResilientPayments payments = payments(fast());
        simulator.faults(Faults.none().withErrorRate(1.0));
        for (int i = 0; i < 5; i++) {
            assertThat(authorize(payments, "o-down-" + i)).isInstanceOf(Outcome.RetryLater.class);
        }
        assertThat(payments.breakerState()).isEqualTo(CircuitBreaker.State.OPEN);
        long attempts = simulator.attempts();
        Outcome rejected = authorize(payments, "o-rejected");
        assertThat(rejected)
                .isInstanceOfSatisfying(
                        Outcome.RetryLater.class,
                        later -> assertThat(later.reason()).contains("circuit breaker open"));
        assertThat(simulator.attempts()).as("an open breaker does not call").isEqualTo(attempts);

        simulator.faults(Faults.none());
        await().pollDelay(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            assertThat(authorize(payments, "o-probe-" + System.nanoTime())).isInstanceOf(Outcome.Done.class);
            assertThat(payments.breakerState()).isEqualTo(CircuitBreaker.State.CLOSED);
        });
        assertThat(meters.find("bulwark.payments.breaker.transitions")
                        .tag("to", "open")
                        .counter()
                        .count())
                .isGreaterThanOrEqualTo(1);
        assertThat(meters.find("bulwark.payments.breaker.transitions")
                        .tag("to", "closed")
                        .counter()
                        .count())
                .isGreaterThanOrEqualTo(1);
    }

    @Test
    void shouldAnswerRetryLaterWhenTheBulkheadIsSaturated() throws Exception {
        ResilientPayments payments =
                payments(fast().withBulkhead(Tier.CRITICAL, new BulkheadSettings(2, Duration.ofMillis(20))));
        simulator.faults(Faults.none().withLatency(300));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<Outcome>> outcomes = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            String orderId = "o-busy-" + i;
            outcomes.add(pool.submit(() -> authorize(payments, orderId)));
        }
        int done = 0;
        int later = 0;
        for (Future<Outcome> outcome : outcomes) {
            if (outcome.get() instanceof Outcome.RetryLater retry) {
                assertThat(retry.reason()).contains("bulkhead critical full");
                later++;
            } else {
                done++;
            }
        }
        pool.shutdown();
        assertThat(done).isBetween(2, 4);
        assertThat(later).isEqualTo(8 - done);
        assertThat(simulator.attempts()).isEqualTo(done);
    }

    @Test
    void shouldDrawFullJitterWithinTheCappedExponential() {
        for (int attempt = 1; attempt <= 12; attempt++) {
            long ceiling = Math.min(1_000, 10L << (attempt - 1));
            for (int i = 0; i < 200; i++) {
                assertThat(ResilientPayments.fullJitter(attempt, Duration.ofMillis(10), Duration.ofMillis(1_000)))
                        .isBetween(0L, ceiling);
            }
        }
    }
}
