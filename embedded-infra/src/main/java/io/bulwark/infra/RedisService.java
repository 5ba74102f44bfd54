package io.bulwark.infra;

/** A running Redis server. */
public interface RedisService extends AutoCloseable {

    String host();

    int port();

    /** A {@code redis://host:port} URI, as Lettuce's {@code RedisURI.create} takes it. */
    default String uri() {
        return "redis://" + host() + ":" + port();
    }

    /** Stops the server. Idempotent. */
    @Override
    void close();
}
