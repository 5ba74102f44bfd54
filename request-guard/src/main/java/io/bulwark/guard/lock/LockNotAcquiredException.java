package io.bulwark.guard.lock;

import java.time.Duration;

/** Another holder kept the lock for the whole wait. Carries the resource and how long we waited. */
public final class LockNotAcquiredException extends Exception {

    private static final long serialVersionUID = 1L;

    private final String resource;
    private final Duration waited;

    public LockNotAcquiredException(String resource, Duration waited) {
        super("Lock on '" + resource + "' not acquired within " + waited);
        this.resource = resource;
        this.waited = waited;
    }

    public String resource() {
        return resource;
    }

    public Duration waited() {
        return waited;
    }
}
