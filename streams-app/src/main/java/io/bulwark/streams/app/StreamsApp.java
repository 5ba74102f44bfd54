package io.bulwark.streams.app;

import io.bulwark.streams.query.QueryApi;
import io.bulwark.streams.query.QueryRegistry;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KafkaStreams.State;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lifecycle of one streams-app instance: the only place a {@link KafkaStreams} is created.
 *
 * <p>{@link #start} builds the client from an {@link AppConfig} and a topology, binds its metrics
 * to a Prometheus registry, serves health and metrics over HTTP and starts processing.
 * {@link #close()} stops it gracefully within {@code shutdown.timeout.ms}. When the client fails
 * (a stream thread died under the {@code shutdown_client} policy), {@link #awaitTermination()}
 * returns and {@link #failed()} is true, so the process can exit non-zero and be restarted.
 */
public final class StreamsApp implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(StreamsApp.class);

    private final AppConfig config;
    private final KafkaStreams streams;
    private final PrometheusMeterRegistry registry;
    private final KafkaStreamsMetrics streamsMetrics;
    private final JvmGcMetrics gcMetrics;
    private final ProgressWatchdog watchdog;
    private final AdminHttpServer http;
    private final HostInfo self;
    private final CountDownLatch terminated = new CountDownLatch(1);
    private final Map<String, Supplier<HealthStatus>> healthChecks = new ConcurrentSkipListMap<>();
    private volatile boolean failed;
    private boolean closed;

    private StreamsApp(AppConfig config, Topology topology, QueryRegistry queries) {
        this.config = config;
        // Bind first: the port is part of the endpoint the client advertises to the other instances.
        this.http = AdminHttpServer.bind(config.httpHost(), config.httpPort(), config.httpThreads());
        Properties properties = config.streamsProperties();
        properties.putIfAbsent(StreamsConfig.APPLICATION_SERVER_CONFIG, config.advertisedHost() + ":" + http.port());
        this.self = HostInfo.buildFromEndpoint(properties.getProperty(StreamsConfig.APPLICATION_SERVER_CONFIG));
        try {
            this.streams = new KafkaStreams(topology, properties);
        } catch (RuntimeException e) {
            http.close();
            throw e;
        }
        StreamThreadExceptionResponse response = config.uncaughtExceptionResponse();
        streams.setUncaughtExceptionHandler(exception -> {
            log.error("Stream thread died; policy {} = {}", AppConfig.UNCAUGHT_EXCEPTION_POLICY, response, exception);
            return response;
        });
        streams.setStateListener((now, before) -> {
            log.info("Kafka Streams state {} -> {}", before, now);
            if (now == State.ERROR) {
                failed = true;
            }
            if (now == State.ERROR || now == State.NOT_RUNNING) {
                terminated.countDown();
            }
        });
        this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.config().commonTags("application", config.getString(AppConfig.APPLICATION_ID));
        this.streamsMetrics = new KafkaStreamsMetrics(streams);
        streamsMetrics.bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        this.gcMetrics = new JvmGcMetrics();
        gcMetrics.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        this.watchdog = new ProgressWatchdog(
                        streams, config.stallTimeout(), config.stallLiveTimeout(), System::nanoTime)
                .start(checkInterval(config.stallTimeout()), registry);
        healthChecks.put("progress", watchdog::health);
        QueryApi queryApi = new QueryApi(streams, self, queries, config.querySettings(), registry);
        http.start(
                streams::state,
                watchdog::live,
                this::checkHealth,
                registry,
                queryApi.handlers(),
                config.querySettings().auth());
    }

    /** Checks often enough to see a stall within a quarter of its bound, at most once a second. */
    private static Duration checkInterval(Duration stallTimeout) {
        return Duration.ofMillis(Math.max(50, Math.min(1_000, stallTimeout.toMillis() / 4)));
    }

    /** What the progress watchdog found at its last check, one report per stream thread. */
    public List<ProgressWatchdog.ThreadReport> progress() {
        return watchdog.reports();
    }

    /** How many times a stream thread of this instance has stalled (see {@link ProgressWatchdog}). */
    public long stalls() {
        return watchdog.stalls();
    }

    /** Creates the client, opens the HTTP endpoints (queries: {@link BulwarkQueries}) and starts processing. */
    public static StreamsApp start(AppConfig config, Topology topology) {
        return start(config, topology, BulwarkQueries.registry(config));
    }

    /** As {@link #start(AppConfig, Topology)}, serving the query endpoints of {@code queries}. */
    public static StreamsApp start(AppConfig config, Topology topology, QueryRegistry queries) {
        StreamsApp app = new StreamsApp(config, topology, queries);
        try {
            app.streams.start();
        } catch (RuntimeException e) {
            app.close();
            throw e;
        }
        log.info(
                "Bulwark streams app '{}' started; health, metrics and queries on http://{}:{}/ (advertised as {}:{})",
                config.getString(AppConfig.APPLICATION_ID),
                config.httpHost(),
                app.httpPort(),
                app.self.host(),
                app.self.port());
        return app;
    }

    public State state() {
        return streams.state();
    }

    /** The port the HTTP endpoints listen on (the configured one, or the one picked for port 0). */
    public int httpPort() {
        return http.port();
    }

    /** The endpoint this instance advertises to the others ({@code application.server}). */
    public HostInfo endpoint() {
        return self;
    }

    /** The Kafka Streams client, for interactive queries. */
    public KafkaStreams streams() {
        return streams;
    }

    /** The registry {@code /metrics} serves; components running beside the app bind their meters here. */
    public PrometheusMeterRegistry meterRegistry() {
        return registry;
    }

    /**
     * Adds a component (an outbox relay running in the same process, say) to {@code /health}:
     * the app is ready only while every component reports up. Liveness stays the streams client's.
     */
    public void addHealthCheck(String name, Supplier<HealthStatus> probe) {
        healthChecks.put(name, probe);
    }

    private Map<String, HealthStatus> checkHealth() {
        Map<String, HealthStatus> results = new LinkedHashMap<>();
        healthChecks.forEach((name, probe) -> {
            try {
                results.put(name, probe.get());
            } catch (RuntimeException e) {
                results.put(name, HealthStatus.down(Map.of("error", String.valueOf(e.getMessage()))));
            }
        });
        return results;
    }

    /** Blocks until the client stops, by {@link #close()} or by failing. */
    public void awaitTermination() throws InterruptedException {
        terminated.await();
    }

    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        return terminated.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Whether the client reached the ERROR state. */
    public boolean failed() {
        return failed;
    }

    /** Graceful shutdown within {@code shutdown.timeout.ms}; returns whether it completed in time. */
    @Override
    public void close() {
        close(Duration.ofMillis(config.shutdownTimeoutMs()));
    }

    public synchronized boolean close(Duration timeout) {
        if (closed) {
            return true;
        }
        closed = true;
        long began = System.nanoTime();
        watchdog.close();
        boolean clean = streams.close(CloseOptions.timeout(timeout));
        http.close();
        streamsMetrics.close();
        gcMetrics.close();
        registry.close();
        terminated.countDown();
        log.info(
                "Bulwark streams app stopped {} in {} ms",
                clean ? "cleanly" : "after the timeout",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began));
        return clean;
    }
}
