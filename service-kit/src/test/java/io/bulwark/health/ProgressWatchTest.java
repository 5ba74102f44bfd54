package io.bulwark.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProgressWatchTest {

    private final AtomicLong clock = new AtomicLong();
    private final ProgressWatch watch = new ProgressWatch(Duration.ofSeconds(10), clock::get);

    private void advance(Duration d) {
        clock.addAndGet(d.toNanos());
    }

    @Test
    void shouldNeverCallAnIdleWorkerStalled() {
        watch.observe(5, false);
        advance(Duration.ofHours(1));
        assertThat(watch.observe(5, false)).isFalse();
        assertThat(watch.stalledFor()).isEmpty();
    }

    @Test
    void shouldReportAStallWhenWorkWaitsWithoutProgressBeyondTheBound() {
        watch.observe(5, true);
        advance(Duration.ofSeconds(10));
        assertThat(watch.observe(5, true)).as("at the bound, not beyond").isFalse();
        advance(Duration.ofMillis(1));
        assertThat(watch.observe(5, true)).isTrue();
        assertThat(watch.stalledFor()).hasValue(Duration.ofSeconds(10).plusMillis(1));
        assertThat(watch.stalls()).isEqualTo(1);
    }

    @Test
    void shouldClearTheStallOnProgressAndCountEachStallOnce() {
        watch.observe(1, true);
        advance(Duration.ofSeconds(11));
        watch.observe(1, true);
        advance(Duration.ofSeconds(1));
        assertThat(watch.observe(1, true)).isTrue();
        assertThat(watch.observe(2, true)).as("the counter moved").isFalse();
        advance(Duration.ofSeconds(11));
        assertThat(watch.observe(2, true)).isTrue();
        assertThat(watch.stalls()).isEqualTo(2);
    }

    @Test
    void shouldMeasureAStallFromTheLastProgressNotFromWhenWorkAppeared() {
        watch.observe(1, false);
        advance(Duration.ofSeconds(9));
        assertThat(watch.observe(1, true))
                .as("idle until now: the clock restarted at the last idle sample")
                .isFalse();
        advance(Duration.ofSeconds(9));
        assertThat(watch.observe(1, true)).isTrue();
    }

    @Test
    void shouldRejectANonPositiveBound() {
        assertThatThrownBy(() -> new ProgressWatch(Duration.ZERO, clock::get)).hasMessageContaining("must be positive");
    }
}
