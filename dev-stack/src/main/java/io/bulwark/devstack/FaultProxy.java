package io.bulwark.devstack;

import java.time.Duration;
import org.netcrusher.core.reactor.NioReactor;
import org.netcrusher.core.throttle.Throttler;
import org.netcrusher.tcp.TcpCrusher;
import org.netcrusher.tcp.TcpCrusherBuilder;

/**
 * A TCP proxy (NetCrusher) between the components and one server, through which a run injects
 * network faults: added latency each way, a black hole (connections stay open, nothing moves,
 * new ones are not served), and resets of every open connection.
 */
final class FaultProxy implements AutoCloseable {

    private final String name;
    private final int port;
    private final TcpCrusher crusher;
    private volatile long delayNanos;

    FaultProxy(NioReactor reactor, String name, int port, int targetPort) {
        this.name = name;
        this.port = port;
        Throttler delay = buffer -> delayNanos == 0 ? Throttler.NO_DELAY_NS : delayNanos;
        this.crusher = TcpCrusherBuilder.builder()
                .withReactor(reactor)
                .withBindAddress("127.0.0.1", port)
                .withConnectAddress("127.0.0.1", targetPort)
                .withIncomingThrottlerFactory(address -> delay)
                .withOutgoingThrottlerFactory(address -> delay)
                .withTcpNoDelay(true)
                .withLingerMs(0) // closing a pair resets both connections (RST), as a dropped route would
                .buildAndOpen();
    }

    String name() {
        return name;
    }

    int port() {
        return port;
    }

    /** Every chunk of data, either way, waits this much longer. */
    void latency(Duration added) {
        delayNanos = added.toNanos();
    }

    /** Nothing passes until {@link #heal()}: open connections hang, new ones get no answer. */
    void blackHole() {
        crusher.freeze();
    }

    /** Closes every open connection through the proxy with a reset; new connections are served. */
    void reset() {
        crusher.closeAllPairs();
    }

    /** Back to a clean pass-through. */
    void heal() {
        delayNanos = 0;
        if (crusher.isFrozen()) {
            crusher.unfreeze();
        }
    }

    @Override
    public void close() {
        crusher.close();
    }
}
