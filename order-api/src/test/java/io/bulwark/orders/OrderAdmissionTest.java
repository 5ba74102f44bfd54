package io.bulwark.orders;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The share of new orders admitted follows the quickest settled order of each interval, on a hand-driven clock. */
class OrderAdmissionTest {

    private static final Duration TARGET = Duration.ofMillis(1_000);
    private static final Duration INTERVAL = Duration.ofSeconds(1);

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final OrderAdmission admission = new OrderAdmission(TARGET, INTERVAL, meters, now::get);

    @Test
    void shouldAdmitEveryOrderWhileOrdersSettleQuickly() {
        for (int second = 0; second < 5; second++) {
            admission.settled(300);
            admission.settled(2_500); // a slow gateway answer: one order, no backlog
            assertThat(admitted(100)).isEqualTo(100);
            next();
        }
        assertThat(admission.ratio()).isEqualTo(1.0);
        assertThat(admission.lastQuickestMs()).isEqualTo(300);
    }

    @Test
    void shouldHalveTheShareForEachIntervalInWhichEveryOrderWaited() {
        admission.settled(1_500);
        admission.settled(1_200);
        assertThat(admitted(10)).as("judged at the interval's end").isEqualTo(10);
        next();
        assertThat(admission.ratio()).isEqualTo(0.5);
        assertThat(admission.lastQuickestMs()).isEqualTo(1_200);
        assertThat(admitted(100)).as("every second order, spread evenly").isEqualTo(50);
        admission.settled(1_100);
        next();
        assertThat(admission.ratio()).isEqualTo(0.25);
        for (int i = 0; i < 10; i++) {
            admission.settled(5_000);
            next();
        }
        assertThat(admission.ratio()).as("a trickle still measures the path").isEqualTo(OrderAdmission.FLOOR);
        assertThat(admitted(100)).isEqualTo(5);
        assertThat(meters.get("bulwark.orders.admission.refused").counter().count())
                .isEqualTo(50 + 95);
    }

    @Test
    void shouldOpenAgainByATenthPerIntervalOnceAnOrderSettlesQuickly() {
        admission.settled(3_000);
        next();
        admission.settled(3_000);
        next();
        assertThat(admission.ratio()).isEqualTo(0.25);
        admission.settled(3_000); // the backlog's last orders
        admission.settled(400); // an order admitted since: the queue emptied
        next();
        assertThat(admission.ratio()).isCloseTo(0.35, within(1e-9));
        next(); // no order settled at all
        assertThat(admission.ratio()).isCloseTo(0.45, within(1e-9));
        now.addAndGet(INTERVAL.toNanos() * 20);
        assertThat(admission.ratio())
                .as("a long quiet spell opens admission fully")
                .isEqualTo(1.0);
        assertThat(admission.lastQuickestMs()).isEqualTo(-1);
        assertThat(admitted(10)).isEqualTo(10);
    }

    @Test
    void shouldNotCloseWhenNothingSettles() {
        for (int i = 0; i < 30; i++) {
            assertThat(admission.admit()).isTrue();
            next();
        }
        assertThat(admission.ratio()).isEqualTo(1.0);
    }

    @Test
    void shouldAdmitEverythingWithATargetOfZero() {
        OrderAdmission off = new OrderAdmission(Duration.ZERO, INTERVAL, new SimpleMeterRegistry(), now::get);
        off.settled(60_000);
        next();
        assertThat(off.enabled()).isFalse();
        assertThat(IntStream.range(0, 100).filter(i -> off.admit()).count()).isEqualTo(100);
        assertThat(off.ratio()).isEqualTo(1.0);
    }

    @Test
    void shouldRecordEverySettledOrdersOpenTime() {
        admission.settled(250);
        admission.settled(750);
        assertThat(meters.get("bulwark.orders.settle.latency").timer().count()).isEqualTo(2);
        assertThat(meters.get("bulwark.orders.settle.latency").timer().max(TimeUnit.MILLISECONDS))
                .isEqualTo(750);
    }

    @Test
    void shouldRefuseANonPositiveInterval() {
        assertThatThrownBy(() -> new OrderAdmission(TARGET, Duration.ZERO, meters, now::get))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private long admitted(int orders) {
        return IntStream.range(0, orders).filter(i -> admission.admit()).count();
    }

    private void next() {
        now.addAndGet(INTERVAL.toNanos());
    }
}
