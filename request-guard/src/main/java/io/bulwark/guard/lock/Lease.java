package io.bulwark.guard.lock;

import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * A held lock: the lease of {@code resource}, identified by a random owner token (the owner is the
 * lease, not a thread, so it can move between threads, virtual threads and async code), with the
 * fencing token to present to the resource. Close it to release; release and renewal only act if
 * Redis still holds this lease.
 */
public interface Lease extends AutoCloseable {

    String resource();

    /** Increases with every acquisition of the resource; hand it to {@code FenceGuard}. */
    long fencingToken();

    /** False once released or lost (a renewal failed or found another owner). */
    boolean isHeld();

    /** Renews the lease for another TTL if this lease still owns the lock; false otherwise. */
    boolean extend();

    /**
     * Completes (with the reason) when the lease is lost while held: the watchdog could not renew
     * it, or Redis had given the lock to someone else. Stop the protected work when it does.
     */
    CompletableFuture<String> lost();

    /** Registers a callback for {@link #lost()}. */
    default void onLost(Consumer<String> callback) {
        lost().thenAccept(callback);
    }

    /** Releases the lock if this lease still owns it. Idempotent. */
    @Override
    void close();
}
