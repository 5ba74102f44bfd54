package io.bulwark.schemas;

/**
 * Headers of a dead-letter record. Kafka Streams writes these names (KIP-1034) when it
 * dead-letters a record; Bulwark's other producers (the outbox relays) use the same ones, so one
 * reader understands every record on {@link Topics#DEAD_LETTERS}. The record's key, value and
 * original headers are kept as they were.
 */
public final class DeadLetterHeaders {

    /** Class name of the exception. */
    public static final String EXCEPTION = "__streams.errors.exception";
    /** Its message: what was wrong with the record. */
    public static final String MESSAGE = "__streams.errors.message";
    /** A summary of its stack trace. */
    public static final String STACKTRACE = "__streams.errors.stacktrace";
    /** The topic the record came from, or would have gone to. */
    public static final String TOPIC = "__streams.errors.topic";

    public static final String PARTITION = "__streams.errors.partition";
    public static final String OFFSET = "__streams.errors.offset";

    private DeadLetterHeaders() {}
}
