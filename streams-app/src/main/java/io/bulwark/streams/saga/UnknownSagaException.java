package io.bulwark.streams.saga;

/** A reply arrived for a saga that does not exist; the record is dead-lettered by the processing handler. */
public final class UnknownSagaException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public UnknownSagaException(String sagaId, String eventType, String eventId) {
        super("No saga '" + sagaId + "' for reply " + eventType + " " + eventId);
    }
}
