package io.bulwark.connectors.outbox;

/**
 * An event was refused before anything was written: its payload is not JSON, or breaks its event
 * type's schema, or the call broke a rule of the outbox. The caller's transaction is untouched;
 * rolling it back is the caller's decision.
 */
public final class InvalidEventException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public InvalidEventException(String message) {
        super(message);
    }

    public InvalidEventException(String message, Throwable cause) {
        super(message, cause);
    }
}
