package io.bulwark.streams.app;

import java.util.Map;

/**
 * What one component reports on {@code /health}: up or down, and details (numbers, states) that
 * help an operator. Details must never hold secrets.
 */
public record HealthStatus(boolean up, Map<String, Object> details) {

    public HealthStatus {
        details = Map.copyOf(details);
    }

    public static HealthStatus up(Map<String, Object> details) {
        return new HealthStatus(true, details);
    }

    public static HealthStatus down(Map<String, Object> details) {
        return new HealthStatus(false, details);
    }
}
