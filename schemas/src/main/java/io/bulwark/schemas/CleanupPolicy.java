package io.bulwark.schemas;

/** A topic's {@code cleanup.policy}. */
public enum CleanupPolicy {
    DELETE("delete"),
    COMPACT("compact"),
    COMPACT_DELETE("compact,delete");

    private final String config;

    CleanupPolicy(String config) {
        this.config = config;
    }

    /** The value of the broker's {@code cleanup.policy} topic config. */
    public String config() {
        return config;
    }
}
