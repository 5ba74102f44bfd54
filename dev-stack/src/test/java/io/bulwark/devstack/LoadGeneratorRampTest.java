package io.bulwark.devstack;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class LoadGeneratorRampTest {

    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    @Test
    void shouldRampLinearlyToTheFullRateThenHoldIt() {
        long ramp = 60 * SECOND;
        assertThat(LoadGenerator.due(0, 100, ramp)).isZero();
        assertThat(LoadGenerator.due(30 * SECOND, 100, ramp))
                .as("half-way: a quarter of the ramp's orders")
                .isEqualTo(750);
        assertThat(LoadGenerator.due(ramp, 100, ramp))
                .as("the ramp sends half of what full rate would")
                .isEqualTo(3_000);
        assertThat(LoadGenerator.due(ramp + 10 * SECOND, 100, ramp) - LoadGenerator.due(ramp, 100, ramp))
                .as("full rate after the ramp")
                .isEqualTo(1_000);
        long last = 0;
        for (long t = 0; t <= 2 * ramp; t += SECOND / 10) {
            long due = LoadGenerator.due(t, 100, ramp);
            assertThat(due).isGreaterThanOrEqualTo(last);
            last = due;
        }
    }

    @Test
    void shouldSendAtFullRateFromTheStartWithoutARamp() {
        assertThat(LoadGenerator.due(0, 100, 0)).isZero();
        assertThat(LoadGenerator.due(SECOND / 2, 100, 0)).isEqualTo(50);
        assertThat(LoadGenerator.due(60 * SECOND, 100, 0)).isEqualTo(6_000);
    }
}
