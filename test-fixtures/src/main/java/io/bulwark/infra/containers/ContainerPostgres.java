package io.bulwark.infra.containers;

import io.bulwark.infra.PostgresService;
import org.testcontainers.postgresql.PostgreSQLContainer;
import org.testcontainers.utility.DockerImageName;

/** PostgreSQL 17 in Docker with logical decoding enabled. */
public final class ContainerPostgres implements PostgresService {

    public static final String IMAGE_NAME = "postgres:17";
    public static final DockerImageName IMAGE = DockerImageName.parse(IMAGE_NAME);

    private final PostgreSQLContainer container;

    public ContainerPostgres() {
        this.container = new PostgreSQLContainer(IMAGE)
                .withDatabaseName("postgres")
                .withCommand(
                        "postgres",
                        "-c",
                        "wal_level=logical",
                        "-c",
                        "max_wal_senders=10",
                        "-c",
                        "max_replication_slots=10",
                        "-c",
                        "max_connections=200");
    }

    public ContainerPostgres start() {
        container.start();
        return this;
    }

    @Override
    public String host() {
        return container.getHost();
    }

    @Override
    public int port() {
        return container.getMappedPort(PostgreSQLContainer.POSTGRESQL_PORT);
    }

    @Override
    public String username() {
        return container.getUsername();
    }

    @Override
    public String password() {
        return container.getPassword();
    }

    @Override
    public String database() {
        return container.getDatabaseName();
    }

    @Override
    public void close() {
        container.stop();
    }
}
