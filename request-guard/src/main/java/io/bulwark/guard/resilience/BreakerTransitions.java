package io.bulwark.guard.resilience;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a circuit breaker's state changes visible: each transition is logged at WARN and counted in
 * {@code <meter>{name, from, to}}, so an operator sees a breaker open without reading its state.
 */
public final class BreakerTransitions {

    private static final Logger log = LoggerFactory.getLogger(BreakerTransitions.class);

    private BreakerTransitions() {}

    /**
     * Publishes {@code breaker}'s transitions.
     *
     * @param what  what the breaker protects, for the log line ("payment gateway", "rate limiter's Redis")
     * @param meter the counter's name, e.g. {@code bulwark.payments.breaker.transitions}
     */
    public static CircuitBreaker publish(CircuitBreaker breaker, String what, String meter, MeterRegistry registry) {
        breaker.getEventPublisher().onStateTransition(event -> {
            log.warn("Circuit breaker '{}' of the {}: {}", breaker.getName(), what, event.getStateTransition());
            Counter.builder(meter)
                    .description("State transitions of the " + what + " circuit breaker")
                    .tag("name", breaker.getName())
                    .tag(
                            "from",
                            event.getStateTransition().getFromState().name().toLowerCase(Locale.ROOT))
                    .tag("to", event.getStateTransition().getToState().name().toLowerCase(Locale.ROOT))
                    .register(registry)
                    .increment();
        });
        return breaker;
    }
}
