package io.bulwark.infra;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-node Kafka cluster in this JVM: one KRaft server that is both broker and controller,
 * on loopback ports, with the internal topics sized for one node so that transactions and
 * exactly-once processing work.
 *
 * <p>The log directory is {@code dataDir/kafka}; it is formatted on first start and reused after,
 * so a restart on the same directory keeps topics, offsets and committed transactions.
 */
public final class EmbeddedKafkaBroker implements KafkaService {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

    private final Path logDir;
    private final int port;
    private final int controllerPort;
    private final Map<String, String> overrides;
    private final int externalPort;
    private final String externalAdvertised;
    private KafkaRaftServer server;

    private EmbeddedKafkaBroker(Builder builder) {
        this.logDir = builder.dataDir.resolve("kafka");
        this.port = Ports.orFree(builder.port);
        this.controllerPort = Ports.orFree(builder.controllerPort);
        this.overrides = Map.copyOf(builder.overrides);
        this.externalPort = builder.externalPort;
        this.externalAdvertised = builder.externalAdvertised;
    }

    public static Builder builder(Path dataDir) {
        return new Builder(dataDir);
    }

    /** Formats the log directory if needed, starts the server and waits until it serves requests. */
    public synchronized EmbeddedKafkaBroker start() {
        if (server != null) {
            return this;
        }
        long began = System.nanoTime();
        Properties props = brokerProperties();
        try {
            Files.createDirectories(logDir);
            Path config = logDir.resolve("server.properties");
            try (OutputStream out = Files.newOutputStream(config)) {
                props.store(out, "Written by Bulwark's EmbeddedKafkaBroker; read by StorageTool format");
            }
            if (!Files.exists(logDir.resolve("logs").resolve("meta.properties"))) {
                format(config); // first start; later starts keep the cluster id and the data
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot prepare Kafka log directory " + logDir, e);
        }
        server = new KafkaRaftServer(new KafkaConfig(props), Time.SYSTEM);
        server.startup();
        awaitReady();
        log.info(
                "Kafka (KRaft) listening on {} in {} ms, data in {}",
                bootstrapServers(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began),
                logDir);
        return this;
    }

    @Override
    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    @Override
    public synchronized void close() {
        if (server == null) {
            return;
        }
        server.shutdown();
        server.awaitShutdown();
        server = null;
        log.info("Kafka on port {} stopped", port);
    }

    private Properties brokerProperties() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        if (externalAdvertised == null) {
            p.put("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
            p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
            p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        } else {
            // Clients bootstrapping on the external port learn the advertised address (a proxy, say);
            // the broker's own traffic stays on PLAINTEXT.
            p.put(
                    "listeners",
                    "PLAINTEXT://127.0.0.1:" + port + ",EXTERNAL://127.0.0.1:" + externalPort
                            + ",CONTROLLER://127.0.0.1:" + controllerPort);
            p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port + ",EXTERNAL://" + externalAdvertised);
            p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,EXTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT");
        }
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("log.dirs", logDir.resolve("logs").toString());
        p.put("num.partitions", "1");
        p.put("default.replication.factor", "1");
        // One node: every internal topic has one replica, and transactions need min ISR 1.
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "5");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "5");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("auto.create.topics.enable", "false");
        p.putAll(overrides);
        Properties props = new Properties();
        props.putAll(p);
        return props;
    }

    private void format(Path config) {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        String[] args = {"format", "--cluster-id", Uuid.randomUuid().toString(), "--config", config.toString()};
        int code;
        try (PrintStream out = new PrintStream(captured, true, StandardCharsets.UTF_8)) {
            code = StorageTool.execute(args, out);
        } catch (Exception e) {
            throw new IllegalStateException(
                    "Formatting the Kafka log directory " + logDir + " failed: "
                            + captured.toString(StandardCharsets.UTF_8),
                    e);
        }
        if (code != 0) {
            throw new IllegalStateException("Formatting the Kafka log directory " + logDir + " exited with " + code
                    + ": " + captured.toString(StandardCharsets.UTF_8));
        }
    }

    private void awaitReady() {
        Map<String, Object> config = Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5_000);
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        try (Admin admin = Admin.create(config)) {
            while (true) {
                try {
                    if (!admin.describeCluster()
                            .nodes()
                            .get(5, TimeUnit.SECONDS)
                            .isEmpty()) {
                        return;
                    }
                } catch (Exception e) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException(
                                "Kafka on " + bootstrapServers() + " not ready within " + READY_TIMEOUT, e);
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(
                            "Kafka on " + bootstrapServers() + " has no live broker after " + READY_TIMEOUT);
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
            }
        }
    }

    /** Settings of an {@link EmbeddedKafkaBroker}; ports default to free loopback ports. */
    public static final class Builder {
        private final Path dataDir;
        private int port;
        private int controllerPort;
        private final Map<String, String> overrides = new LinkedHashMap<>();
        private int externalPort;
        private String externalAdvertised;

        private Builder(Path dataDir) {
            this.dataDir = Objects.requireNonNull(dataDir, "dataDir");
        }

        /** Client listener port; 0 (default) picks a free one. */
        public Builder port(int port) {
            this.port = checkPort("port", port);
            return this;
        }

        /** Controller listener port; 0 (default) picks a free one. */
        public Builder controllerPort(int controllerPort) {
            this.controllerPort = checkPort("controllerPort", controllerPort);
            return this;
        }

        /**
         * A second client listener, {@code EXTERNAL}, on {@code port}, advertised as
         * {@code advertisedHostPort}: clients that bootstrap there are sent to that address (a TCP
         * fault proxy in front of the broker, for instance), while the broker's own requests stay on
         * the plain listener.
         */
        public Builder externalListener(int port, String advertisedHostPort) {
            if (port <= 0 || port > 65_535) {
                throw new IllegalArgumentException("external port = " + port + " must be between 1 and 65535");
            }
            this.externalPort = port;
            this.externalAdvertised = Objects.requireNonNull(advertisedHostPort, "advertisedHostPort");
            return this;
        }

        /** Any broker setting, applied after Bulwark's defaults. */
        public Builder brokerProperty(String key, String value) {
            overrides.put(Objects.requireNonNull(key), Objects.requireNonNull(value));
            return this;
        }

        public EmbeddedKafkaBroker build() {
            return new EmbeddedKafkaBroker(this);
        }

        static int checkPort(String name, int port) {
            if (port < 0 || port > 65_535) {
                throw new IllegalArgumentException(name + " = " + port + " must be between 0 and 65535");
            }
            return port;
        }
    }
}
