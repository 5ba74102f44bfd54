package io.bulwark.streams.app;

import io.bulwark.health.ProgressWatch;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.lang.management.LockInfo;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.ThreadMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a stalled stream thread impossible to miss. Every {@code checkInterval} it samples each local
 * stream thread from Kafka Streams' own metrics:
 *
 * <ul>
 *   <li>progress: the thread's {@code commit-total} (under exactly-once a commit is the only moment
 *       output, state and input offsets become visible, so no commit means no progress);</li>
 *   <li>work waiting: the summed {@code records-lag} of its main consumer's partitions (a
 *       read_committed lag: control records do not count), or a poll older than the bound — a thread
 *       blocked in a processor, a flush or a commit stops polling, and its lag metric goes stale.</li>
 * </ul>
 *
 * <p>A thread with work waiting and no commit for longer than {@code progress.stall.timeout.ms} is
 * stalled: the {@code progress} health check (so {@code /health/ready}) goes down, the gauge
 * {@code bulwark_streams_stalled_threads} and counter {@code bulwark_streams_stalls_total} say so, and
 * the log names the thread, its tasks and their lag, with the thread's full stack. After
 * {@code progress.stall.live.timeout.ms} {@link #live()} turns false, so {@code /health/live} asks the
 * supervisor to restart the instance: a thread blocked for good cannot be replaced from inside the JVM.
 * Only a RUNNING client is judged (restoration and rebalances are visible as not-ready already).
 */
public final class ProgressWatchdog implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ProgressWatchdog.class);

    /** What the watchdog found about one stream thread at its last check. */
    public record ThreadReport(
            String thread,
            boolean stalled,
            Duration sinceProgress,
            long lag,
            double secondsSincePoll,
            List<String> tasks) {}

    private final KafkaStreams streams;
    private final Duration stallTimeout;
    private final Duration liveTimeout;
    private final LongSupplier nanoTime;
    private final Map<String, ProgressWatch> watches = new ConcurrentHashMap<>();
    private final Map<String, Long> lastLogged = new ConcurrentHashMap<>();
    private volatile List<ThreadReport> reports = List.of();
    private volatile long stallsTotal;
    private final ScheduledExecutorService scheduler;

    /**
     * @param stallTimeout how long work may wait without a commit before the thread counts as stalled
     * @param liveTimeout  how long a stall may last before {@link #live()} is false; zero: never
     */
    public ProgressWatchdog(KafkaStreams streams, Duration stallTimeout, Duration liveTimeout, LongSupplier nanoTime) {
        this.streams = streams;
        this.stallTimeout = stallTimeout;
        this.liveTimeout = liveTimeout;
        this.nanoTime = nanoTime;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "bulwark-progress-watchdog");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Checks every {@code interval} from now on, and binds the gauges to {@code registry}. */
    public ProgressWatchdog start(Duration interval, MeterRegistry registry) {
        Gauge.builder(
                        "bulwark.streams.stalled.threads",
                        this,
                        w -> w.reports.stream().filter(ThreadReport::stalled).count())
                .description(
                        "Stream threads with records waiting and no commit for longer than progress.stall.timeout.ms")
                .register(registry);
        FunctionCounter.builder("bulwark.streams.stalls", this, w -> w.stallsTotal)
                .description("Times a stream thread entered a stall")
                .register(registry);
        Gauge.builder(
                        "bulwark.streams.seconds.since.progress",
                        this,
                        w -> w.reports.stream()
                                .mapToDouble(r -> r.sinceProgress().toMillis() / 1000.0)
                                .max()
                                .orElse(0))
                .description("Longest time any stream thread with records waiting has gone without a commit")
                .register(registry);
        scheduler.scheduleWithFixedDelay(
                this::checkSafely, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    private void checkSafely() {
        try {
            check();
        } catch (RuntimeException e) {
            log.warn("Progress check failed; will try again", e);
        }
    }

    /** One check of every local stream thread; public so tests can drive it without the scheduler. */
    public synchronized List<ThreadReport> check() {
        if (streams.state() != KafkaStreams.State.RUNNING) {
            watches.clear(); // a rebalance or restoration is not a stall; start afresh when RUNNING again
            reports = List.of();
            return reports;
        }
        Map<MetricName, ? extends Metric> metrics = streams.metrics();
        List<ThreadReport> now = new ArrayList<>();
        Set<ThreadMetadata> threads = streams.metadataForLocalThreads();
        for (ThreadMetadata thread : threads) {
            String name = thread.threadName();
            double commits = metric(metrics, "stream-thread-metrics", "commit-total", "thread-id", name);
            double sincePoll = metric(
                    metrics, "consumer-metrics", "last-poll-seconds-ago", "client-id", thread.consumerClientId());
            long lag = lag(metrics, thread.consumerClientId());
            boolean blocked = sincePoll * 1000 > stallTimeout.toMillis();
            ProgressWatch watch = watches.computeIfAbsent(name, n -> new ProgressWatch(stallTimeout, nanoTime));
            long stallsBefore = watch.stalls();
            boolean stalled = watch.observe((long) commits, lag > 0 || blocked);
            stallsTotal += watch.stalls() - stallsBefore;
            List<String> tasks = thread.activeTasks().stream()
                    .map(t -> t.taskId().toString())
                    .sorted()
                    .toList();
            ThreadReport report = new ThreadReport(name, stalled, watch.sinceProgress(), lag, sincePoll, tasks);
            now.add(report);
            logTransition(report, watch, stallsBefore, threads);
        }
        watches.keySet()
                .retainAll(threads.stream().map(ThreadMetadata::threadName).toList());
        reports = List.copyOf(now);
        return reports;
    }

    private void logTransition(
            ThreadReport report, ProgressWatch watch, long stallsBefore, Set<ThreadMetadata> threads) {
        long now = nanoTime.getAsLong();
        if (report.stalled()) {
            Long last = lastLogged.get(report.thread());
            boolean first = watch.stalls() > stallsBefore;
            if (first || last == null || now - last >= stallTimeout.toNanos()) {
                lastLogged.put(report.thread(), now);
                log.warn(
                        "STALL: stream thread {} with tasks {} has committed nothing for {} s (last poll {} s ago, "
                                + "{} records not yet fetched); health/ready is down{}. Stream threads (the stalled one "
                                + "first):\n{}",
                        report.thread(),
                        report.tasks(),
                        report.sinceProgress().toSeconds(),
                        (long) report.secondsSincePoll(),
                        report.lag(),
                        liveTimeout.isZero()
                                ? ""
                                : " and health/live goes down after " + liveTimeout.toSeconds() + " s",
                        stacksOf(Stream.concat(
                                        Stream.of(report.thread()),
                                        threads.stream()
                                                .map(ThreadMetadata::threadName)
                                                .filter(name -> !name.equals(report.thread()))
                                                .sorted())
                                .toList()));
            }
        } else if (lastLogged.remove(report.thread()) != null) {
            log.info("Stream thread {} makes progress again", report.thread());
        }
    }

    /** The {@code progress} component of {@code /health}: down while any stream thread is stalled. */
    public HealthStatus health() {
        List<ThreadReport> current = reports;
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("stallTimeoutMs", stallTimeout.toMillis());
        List<Map<String, Object>> stalled = new ArrayList<>();
        for (ThreadReport r : current) {
            if (r.stalled()) {
                Map<String, Object> one = new LinkedHashMap<>();
                one.put("thread", r.thread());
                one.put("secondsWithoutCommit", r.sinceProgress().toSeconds());
                one.put("recordsWaiting", r.lag());
                one.put("secondsSincePoll", (long) r.secondsSincePoll());
                one.put("tasks", r.tasks());
                stalled.add(one);
            }
        }
        details.put("stalledThreads", stalled);
        return stalled.isEmpty() ? HealthStatus.up(details) : HealthStatus.down(details);
    }

    /** False once some thread has been stalled for longer than the live timeout (never, if it is zero). */
    public boolean live() {
        return liveTimeout.isZero()
                || reports.stream()
                        .noneMatch(r -> r.stalled() && r.sinceProgress().compareTo(liveTimeout) > 0);
    }

    /** How many times a stream thread has entered a stall since start. */
    public long stalls() {
        return stallsTotal;
    }

    public List<ThreadReport> reports() {
        return reports;
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
    }

    private static double metric(
            Map<MetricName, ? extends Metric> metrics, String group, String name, String tag, String tagValue) {
        for (Map.Entry<MetricName, ? extends Metric> e : metrics.entrySet()) {
            MetricName m = e.getKey();
            if (m.name().equals(name)
                    && m.group().equals(group)
                    && tagValue.equals(m.tags().get(tag))
                    && e.getValue().metricValue() instanceof Number n
                    && !Double.isNaN(n.doubleValue())) {
                return n.doubleValue();
            }
        }
        return 0;
    }

    /** Records waiting on the consumer's assigned partitions, as of its last fetch (read_committed lag). */
    private static long lag(Map<MetricName, ? extends Metric> metrics, String clientId) {
        long lag = 0;
        for (Map.Entry<MetricName, ? extends Metric> e : metrics.entrySet()) {
            MetricName m = e.getKey();
            if (m.name().equals("records-lag")
                    && m.group().equals("consumer-fetch-manager-metrics")
                    && clientId.equals(m.tags().get("client-id"))
                    && m.tags().containsKey("partition")
                    && e.getValue().metricValue() instanceof Number n
                    && !Double.isNaN(n.doubleValue())) {
                lag += Math.max(0, (long) n.doubleValue());
            }
        }
        return lag;
    }

    /**
     * The named threads' stacks, in the given order, as jstack prints them (ThreadInfo.toString() cuts a
     * stack at eight frames); one dump of the JVM's threads for all of them.
     */
    static String stacksOf(List<String> threadNames) {
        Map<String, ThreadInfo> byName = new LinkedHashMap<>();
        for (ThreadInfo info : ManagementFactory.getThreadMXBean().dumpAllThreads(true, true)) {
            byName.put(info.getThreadName(), info);
        }
        return threadNames.stream()
                .map(byName::get)
                .filter(Objects::nonNull)
                .map(ProgressWatchdog::format)
                .collect(Collectors.joining("\n"));
    }

    private static String format(ThreadInfo info) {
        StringBuilder out = new StringBuilder();
        out.append('"').append(info.getThreadName()).append("\" ").append(info.getThreadState());
        LockInfo lock = info.getLockInfo();
        if (lock != null) {
            out.append(" on ").append(lock);
            if (info.getLockOwnerName() != null) {
                out.append(" owned by \"").append(info.getLockOwnerName()).append('"');
            }
        }
        out.append('\n');
        for (StackTraceElement frame : info.getStackTrace()) {
            out.append("    at ").append(frame).append('\n');
        }
        return out.toString();
    }
}
