package io.bulwark.infra.containers;

import io.bulwark.infra.KafkaService;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;

/** Kafka in Docker: the official Apache image, KRaft, at the version Bulwark builds against. */
public final class ContainerKafka implements KafkaService {

    /** The image docker-compose.yml uses too. */
    public static final String IMAGE_NAME = "apache/kafka:4.3.1";

    public static final DockerImageName IMAGE = DockerImageName.parse(IMAGE_NAME);

    private final KafkaContainer container;

    public ContainerKafka() {
        this.container = new KafkaContainer(IMAGE)
                .withEnv("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1")
                .withEnv("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1")
                .withEnv("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false");
    }

    public ContainerKafka start() {
        container.start();
        return this;
    }

    @Override
    public String bootstrapServers() {
        return container.getBootstrapServers();
    }

    @Override
    public void close() {
        container.stop();
    }
}
