package io.bulwark.infra;

/** A running Kafka cluster that accepts transactions (exactly-once). */
public interface KafkaService extends AutoCloseable {

    /** {@code host:port} list for {@code bootstrap.servers}. */
    String bootstrapServers();

    /** Stops the cluster and releases its ports. Idempotent. */
    @Override
    void close();
}
