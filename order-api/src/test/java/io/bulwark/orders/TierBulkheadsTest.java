package io.bulwark.orders;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class TierBulkheadsTest {

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    @Test
    void shouldQueueUpToItsDepthThenRefuseAtOnce() throws Exception {
        TierBulkheads bulkheads = bulkheads("1/1/5000", "1/0/0", "1/0/0/shed");
        CompletableFuture<Boolean> queued = oneCriticalQueuedBehindAnother(bulkheads);
        long began = System.nanoTime();
        assertThat(bulkheads.tryEnter(OrderApi.Tier.CRITICAL))
                .as("the queue is full")
                .isFalse();
        assertThat(Duration.ofNanos(System.nanoTime() - began))
                .as("refused without waiting")
                .isLessThan(Duration.ofSeconds(1));
        bulkheads.exit(OrderApi.Tier.CRITICAL);
        assertThat(queued.get(5, TimeUnit.SECONDS))
                .as("the queued request got the permit")
                .isTrue();
        assertThat(meters.get("bulwark.orders.bulkhead.rejected")
                        .tag("tier", "critical")
                        .counter()
                        .count())
                .isEqualTo(1);
    }

    @Test
    void shouldShedOptionalWorkWhileAnotherTierHasRequestsQueued() throws Exception {
        TierBulkheads bulkheads = bulkheads("1/1/5000", "1/0/0", "1/0/0/shed");
        CompletableFuture<Boolean> queued = oneCriticalQueuedBehindAnother(bulkheads);
        assertThat(bulkheads.tryEnter(OrderApi.Tier.OPTIONAL))
                .as("reads step aside for queued orders")
                .isFalse();
        assertThat(bulkheads.tryEnter(OrderApi.Tier.STANDARD))
                .as("only shed tiers step aside")
                .isTrue();
        bulkheads.exit(OrderApi.Tier.CRITICAL);
        assertThat(queued.get(5, TimeUnit.SECONDS)).isTrue();
        assertThat(bulkheads.tryEnter(OrderApi.Tier.OPTIONAL))
                .as("nothing queued any more")
                .isTrue();
    }

    @Test
    void shouldRefuseBulkheadsThatDoNotFitTheHttpThreads() {
        assertThatThrownBy(() -> OrderApiConfig.load(
                        Map.of(),
                        Map.of(
                                OrderApiConfig.DB_URL,
                                "jdbc:postgresql://x/y",
                                OrderApiConfig.API_CLIENTS,
                                "a:secret-secret:free",
                                OrderApiConfig.OUTCOMES_ENABLED,
                                "false",
                                OrderApiConfig.HTTP_THREADS,
                                "32",
                                OrderApiConfig.BULKHEAD_CRITICAL,
                                "64/0/500")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("http.threads = 32");
        assertThatThrownBy(() -> TierBulkheads.Limits.parse("bulkhead.critical", "16/500"))
                .hasMessageContaining("bulkhead.critical");
        assertThatThrownBy(() -> TierBulkheads.Limits.parse("bulkhead.optional", "2/4/0/shed"))
                .hasMessageContaining("only the wait policy queues");
    }

    private TierBulkheads bulkheads(String critical, String standard, String optional) {
        Map<OrderApi.Tier, TierBulkheads.Limits> limits = new EnumMap<>(OrderApi.Tier.class);
        limits.put(OrderApi.Tier.CRITICAL, TierBulkheads.Limits.parse("critical", critical));
        limits.put(OrderApi.Tier.STANDARD, TierBulkheads.Limits.parse("standard", standard));
        limits.put(OrderApi.Tier.OPTIONAL, TierBulkheads.Limits.parse("optional", optional));
        return new TierBulkheads(limits, meters);
    }

    private static boolean enter(TierBulkheads bulkheads, OrderApi.Tier tier) {
        try {
            return bulkheads.tryEnter(tier);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Takes the critical tier's only permit, then queues a second critical request behind it. */
    private CompletableFuture<Boolean> oneCriticalQueuedBehindAnother(TierBulkheads bulkheads)
            throws InterruptedException {
        assertThat(bulkheads.tryEnter(OrderApi.Tier.CRITICAL)).isTrue();
        CompletableFuture<Boolean> queued =
                CompletableFuture.supplyAsync(() -> enter(bulkheads, OrderApi.Tier.CRITICAL));
        await().atMost(Duration.ofSeconds(5))
                .until(() -> meters.get("bulwark.orders.bulkhead.queued")
                                .tag("tier", "critical")
                                .gauge()
                                .value()
                        == 1);
        return queued;
    }
}
