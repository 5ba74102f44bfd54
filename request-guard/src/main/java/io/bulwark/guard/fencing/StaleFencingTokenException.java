package io.bulwark.guard.fencing;

/**
 * A write came with a fencing token older than one already accepted for the resource: its lock
 * holder lost the lock (paused, expired) and someone newer has written since. Roll back.
 */
public final class StaleFencingTokenException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String resource;
    private final long token;

    public StaleFencingTokenException(String resource, long token) {
        super("Fencing token " + token + " for '" + resource + "' is older than the last accepted one; "
                + "this holder lost its lock");
        this.resource = resource;
        this.token = token;
    }

    public String resource() {
        return resource;
    }

    public long token() {
        return token;
    }
}
