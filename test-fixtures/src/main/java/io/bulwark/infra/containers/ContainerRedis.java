package io.bulwark.infra.containers;

import io.bulwark.infra.RedisService;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/** Redis 7 in Docker. */
public final class ContainerRedis implements RedisService {

    public static final String IMAGE_NAME = "redis:7";
    public static final DockerImageName IMAGE = DockerImageName.parse(IMAGE_NAME);
    private static final int PORT = 6379;

    private final GenericContainer<?> container;

    public ContainerRedis() {
        this.container = new GenericContainer<>(IMAGE)
                .withExposedPorts(PORT)
                .waitingFor(Wait.forLogMessage(".*Ready to accept connections.*\\n", 1));
    }

    public ContainerRedis start() {
        container.start();
        return this;
    }

    @Override
    public String host() {
        return container.getHost();
    }

    @Override
    public int port() {
        return container.getMappedPort(PORT);
    }

    @Override
    public void close() {
        container.stop();
    }
}
