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

/**
 * The share of new orders admitted follows the quickest settled order over a window of five one-second
 * intervals, on a hand-driven clock.
 */
class OrderAdmissionTest {

    private static final Duration TARGET = Duration.ofMillis(1_000);
    private static final Duration WINDOW = Duration.ofSeconds(5);
    private static final long SECOND = Duration.ofSeconds(1).toNanos();

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final OrderAdmission admission = new OrderAdmission(TARGET, WINDOW, meters, now::get);

    @Test
    void shouldAdmitEveryOrderWhileSomeOrdersSettleQuickly() {
        for (int second = 0; second < 20; second++) {
            admission.settled(second % 5 == 4 ? 300 : 1_800); // one quick order per window is enough
            admission.settled(4_000); // a slow gateway answer
            assertThat(admitted(100)).isEqualTo(100);
            next();
        }
        assertThat(admission.ratio()).isEqualTo(1.0);
        assertThat(admission.lastQuickestMs()).isEqualTo(300);
    }

    @Test
    void shouldNotRefuseAnyoneForAStallThePathRecoversFromByItself() {
        // Nothing settles for three seconds (a broker restarting), then the waiting orders settle at once.
        for (int second = 0; second < 3; second++) {
            admitted(100);
            next();
        }
        for (int i = 0; i < 300; i++) {
            admission.settled(3_000 - i);
        }
        next();
        admission.settled(1_200);
        next();
        admission.settled(400);
        next();
        assertThat(admission.ratio()).isEqualTo(1.0);
        assertThat(admitted(100)).isEqualTo(100);
    }

    @Test
    void shouldCutTheShareToWhatDrainsTheBacklogOncePerWindow() {
        // 100 new orders asked for per second, 50 completed, each after 2 s: admitting 50 × 1 s / 2 s a second
        // drains the backlog.
        for (int second = 0; second < 5; second++) {
            assertThat(admitted(100)).as("judged at the window's end").isEqualTo(100);
            settle(50, 2_000);
            next();
        }
        assertThat(admission.ratio()).isEqualTo(0.25);
        assertThat(admission.lastQuickestMs()).isEqualTo(2_000);
        assertThat(admitted(100)).as("every fourth order, spread evenly").isEqualTo(25);
        settle(50, 2_000);
        next();
        for (int second = 0; second < 3; second++) {
            admitted(100);
            settle(50, 2_000);
            next();
            assertThat(admission.ratio()).as("time for the cut to show").isEqualTo(0.25);
        }
        admitted(100);
        settle(50, 2_000);
        next();
        assertThat(admission.ratio()).as("at least halved").isEqualTo(0.125);
        for (int second = 0; second < 30; second++) {
            admitted(100);
            settle(50, 5_000);
            next();
        }
        assertThat(admission.ratio()).as("a trickle still measures the path").isEqualTo(OrderAdmission.FLOOR);
        assertThat(meters.get("bulwark.orders.admission.refused").counter().count())
                .isGreaterThan(30 * 90);
    }

    @Test
    void shouldHalveAtLeastWhenThePathCompletesMoreThanItIsAsked() {
        for (int second = 0; second < 5; second++) {
            admitted(10);
            settle(100, 1_500); // the backlog of earlier orders
            next();
        }
        assertThat(admission.ratio()).isEqualTo(0.5);
        assertThat(admitted(100)).as("every second order, spread evenly").isEqualTo(50);
    }

    @Test
    void shouldOpenAgainSlowlyWhileTheWaitIsNearTheTarget() {
        for (int second = 0; second < 10; second++) {
            admitted(100);
            settle(100, 1_200);
            next();
        }
        assertThat(admission.ratio()).isCloseTo(0.25, within(1e-9));
        settle(10, 3_000); // the backlog's last orders
        admission.settled(800); // an order admitted since, not far within the target
        next();
        assertThat(admission.ratio()).isCloseTo(0.275, within(1e-9));
        admission.settled(2_000);
        next();
        assertThat(admission.ratio())
                .as("the quick order is still in the window: no cut, growth by the last second's wait")
                .isCloseTo(0.285, within(1e-9));
        now.addAndGet(SECOND * 60);
        assertThat(admission.ratio())
                .as("a long quiet spell opens admission fully")
                .isEqualTo(1.0);
        assertThat(admission.lastQuickestMs()).isEqualTo(-1);
        assertThat(admitted(10)).isEqualTo(10);
    }

    @Test
    void shouldOpenAgainQuicklyOnceOrdersSettleFarWithinTheTarget() {
        // A cold start: every order of the first seconds waits, then the path catches up.
        for (int second = 0; second < 5; second++) {
            admitted(40);
            settle(40, 2_000);
            next();
        }
        assertThat(admission.ratio()).isCloseTo(0.5, within(1e-9));
        for (int second = 0; second < 5; second++) {
            admitted(40);
            settle(20, 200);
            next();
        }
        assertThat(admission.ratio())
                .as("a tenth per second at waits of a fifth of the target")
                .isCloseTo(1.0, within(1e-9));
    }

    @Test
    void shouldNotCloseWhenNothingSettles() {
        for (int i = 0; i < 30; i++) {
            assertThat(admitted(10)).isEqualTo(10);
            next();
        }
        assertThat(admission.ratio()).isEqualTo(1.0);
    }

    @Test
    void shouldAdmitEverythingWithATargetOfZero() {
        OrderAdmission off = new OrderAdmission(Duration.ZERO, WINDOW, new SimpleMeterRegistry(), now::get);
        for (int second = 0; second < 10; second++) {
            off.settled(60_000);
            next();
        }
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
    void shouldRefuseAWindowTooShortToDivide() {
        assertThatThrownBy(() -> new OrderAdmission(TARGET, Duration.ofMillis(4), meters, now::get))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private long admitted(int orders) {
        return IntStream.range(0, orders).filter(i -> admission.admit()).count();
    }

    private void settle(int orders, long openMs) {
        for (int i = 0; i < orders; i++) {
            admission.settled(openMs);
        }
    }

    private void next() {
        now.addAndGet(SECOND);
    }
}
