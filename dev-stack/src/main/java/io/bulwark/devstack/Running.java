package io.bulwark.devstack;

import java.util.ArrayDeque;
import java.util.Deque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What a launcher started, stopped newest first; safe to stop twice and from a shutdown hook. */
final class Running {

    private static final Logger log = LoggerFactory.getLogger(Running.class);
    private final Deque<AutoCloseable> started = new ArrayDeque<>();

    <T extends AutoCloseable> T register(T service) {
        synchronized (started) {
            started.push(service);
        }
        return service;
    }

    /** Closes everything registered so far, newest first; a failure is logged and the rest still close. */
    void stopAll() {
        while (true) {
            AutoCloseable next;
            synchronized (started) {
                next = started.poll();
            }
            if (next == null) {
                return;
            }
            try {
                next.close();
            } catch (Exception e) {
                log.warn("Stopping {} failed", next.getClass().getSimpleName(), e);
            }
        }
    }
}
