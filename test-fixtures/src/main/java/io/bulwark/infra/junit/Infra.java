package io.bulwark.infra.junit;

import io.bulwark.infra.EmbeddedKafkaBroker;
import io.bulwark.infra.EmbeddedPostgresServer;
import io.bulwark.infra.EmbeddedRedisServer;
import io.bulwark.infra.KafkaService;
import io.bulwark.infra.PostgresService;
import io.bulwark.infra.RedisService;
import io.bulwark.infra.containers.ContainerKafka;
import io.bulwark.infra.containers.ContainerPostgres;
import io.bulwark.infra.containers.ContainerRedis;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * Chooses how the shared infrastructure runs, by the system property {@value #PROPERTY}:
 * {@code embedded} (default: real servers on this machine, no Docker) or {@code containers}
 * (Testcontainers; needs a Docker engine and {@code org.testcontainers} on the classpath).
 */
public enum Infra {
    EMBEDDED,
    CONTAINERS;

    public static final String PROPERTY = "bulwark.infra";

    /** The kind the system property asks for. */
    public static Infra selected() {
        String value = System.getProperty(PROPERTY, "embedded").trim();
        if (value.isEmpty()) {
            return EMBEDDED;
        }
        try {
            return valueOf(value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "System property " + PROPERTY + " = '" + value + "' must be one of "
                            + Arrays.stream(values())
                                    .map(v -> v.name().toLowerCase(Locale.ROOT))
                                    .toList(),
                    e);
        }
    }

    /** Starts a Kafka cluster of this kind; {@code dataDir} is used by the embedded kind only. */
    public KafkaService startKafka(Path dataDir) {
        return switch (this) {
            case EMBEDDED -> EmbeddedKafkaBroker.builder(dataDir).build().start();
            case CONTAINERS -> new ContainerKafka().start();
        };
    }

    /** Starts a PostgreSQL server of this kind; the embedded one runs without fsync (test speed). */
    public PostgresService startPostgres(Path dataDir) {
        return switch (this) {
            case EMBEDDED ->
                EmbeddedPostgresServer.builder(dataDir).durable(false).build().start();
            case CONTAINERS -> new ContainerPostgres().start();
        };
    }

    public RedisService startRedis(Path dataDir) {
        return switch (this) {
            case EMBEDDED -> EmbeddedRedisServer.builder(dataDir).build().start();
            case CONTAINERS -> new ContainerRedis().start();
        };
    }
}
