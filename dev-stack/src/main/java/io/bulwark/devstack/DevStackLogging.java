package io.bulwark.devstack;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.rolling.FixedWindowRollingPolicy;
import ch.qos.logback.core.rolling.RollingFileAppender;
import ch.qos.logback.core.rolling.SizeBasedTriggeringPolicy;
import ch.qos.logback.core.spi.FilterReply;
import ch.qos.logback.core.util.FileSize;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dev-stack's two log outputs. The console shows Bulwark's own lines and real warnings of the
 * libraries; lines known to be benign (listed in {@link #BENIGN}) are explained once and then kept off
 * the console. The file {@code <data dir>/logs/dev-stack.log} gets every line at INFO and above,
 * Kafka's included, rolled at 50 MiB (three old files kept), so nothing is lost for a post-mortem.
 */
final class DevStackLogging {

    /** A known-benign log line: which logger, what its message matches, and why it is harmless. */
    record Benign(String loggerPrefix, Pattern message, String why) {}

    static final List<Benign> BENIGN = List.of(
            new Benign(
                    "org.apache.kafka.clients.producer.internals.Sender",
                    Pattern.compile("retrying .*Error: (CONCURRENT_TRANSACTIONS|OUT_OF_ORDER_SEQUENCE_NUMBER)"),
                    "a transactional produce sent while the previous transaction's markers are still being written "
                            + "(transactions v2, KAFKA-18654), or a later batch of it; the producer retries and nothing is lost"),
            new Benign(
                    "kafka.server.ReplicaManager",
                    Pattern.compile("Error processing append operation"),
                    "the broker's side of the same retried produce (it logs each refusal at ERROR)"),
            new Benign(
                    "org.apache.kafka.clients.NetworkClient",
                    Pattern.compile("UNKNOWN_TOPIC_OR_PARTITION|LEADER_NOT_AVAILABLE|already been closed"),
                    "metadata of a topic created a moment ago (Kafka Streams' internal topics in the first rebalance)"),
            new Benign(
                    "org.apache.kafka.controller.QuorumController",
                    Pattern.compile("metadata log appears to be empty"),
                    "the first start of a freshly formatted broker"),
            new Benign(
                    "org.netcrusher",
                    Pattern.compile(""),
                    "the chaos run's TCP fault proxy reporting connections it reset or could not open (the fault "
                            + "itself)"),
            new Benign(
                    "org.apache.kafka.streams.StreamsConfig",
                    Pattern.compile("GlobalThread"),
                    "Bulwark enables the processing exception handler for global state explicitly"));

    private DevStackLogging() {}

    /** Adds the file appender and the console filter; returns the log file. */
    static Path configure(Path dataDir) {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        Path file = dataDir.resolve("logs").resolve("dev-stack.log");

        for (Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders(); it.hasNext(); ) {
            Appender<ILoggingEvent> console = it.next();
            ConsoleFilter filter = new ConsoleFilter(file);
            filter.setContext(context);
            filter.start();
            console.addFilter(filter);
        }

        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern("%d{yyyy-MM-dd HH:mm:ss.SSS} %-5level [%thread] %logger - %msg%n");
        encoder.start();
        RollingFileAppender<ILoggingEvent> appender = new RollingFileAppender<>();
        appender.setContext(context);
        appender.setName("FILE");
        appender.setFile(file.toString());
        FixedWindowRollingPolicy rolling = new FixedWindowRollingPolicy();
        rolling.setContext(context);
        rolling.setParent(appender);
        rolling.setFileNamePattern(
                dataDir.resolve("logs").resolve("dev-stack.%i.log").toString());
        rolling.setMinIndex(1);
        rolling.setMaxIndex(3);
        rolling.start();
        SizeBasedTriggeringPolicy<ILoggingEvent> trigger = new SizeBasedTriggeringPolicy<>();
        trigger.setContext(context);
        trigger.setMaxFileSize(FileSize.valueOf("50MB"));
        trigger.start();
        appender.setRollingPolicy(rolling);
        appender.setTriggeringPolicy(trigger);
        appender.setEncoder(encoder);
        appender.start();
        root.addAppender(appender);
        // The libraries' INFO lines go to the file only (the console filter keeps them off the screen).
        for (String library : List.of("org.apache.kafka", "kafka", "io.debezium")) {
            context.getLogger(library).setLevel(Level.INFO);
        }
        return file;
    }

    /**
     * Console: Bulwark's lines at INFO, other libraries' at WARN, minus the benign ones — each benign kind
     * explained in one line the first time it is seen.
     */
    static final class ConsoleFilter extends Filter<ILoggingEvent> {
        private final Path file;
        private final Set<Benign> explained = ConcurrentHashMap.newKeySet();

        ConsoleFilter(Path file) {
            this.file = file;
        }

        @Override
        public FilterReply decide(ILoggingEvent event) {
            boolean ours = event.getLoggerName().startsWith("io.bulwark");
            if (!ours && !event.getLevel().isGreaterOrEqual(Level.WARN)) {
                return FilterReply.DENY;
            }
            Benign benign = benign(event);
            if (benign == null) {
                return FilterReply.NEUTRAL;
            }
            if (explained.add(benign)) {
                System.out.printf(
                        "%s (known and benign: %s; further ones go only to %s)%n",
                        firstLine(event), benign.why(), file);
            }
            return FilterReply.DENY;
        }

        private static Benign benign(ILoggingEvent event) {
            for (Benign b : BENIGN) {
                if (event.getLoggerName().startsWith(b.loggerPrefix())
                        && (b.message().matcher(event.getFormattedMessage()).find() || causeMatches(b, event))) {
                    return b;
                }
            }
            return null;
        }

        private static boolean causeMatches(Benign b, ILoggingEvent event) {
            IThrowableProxy t = event.getThrowableProxy();
            return t != null
                    && t.getMessage() != null
                    && b.message().matcher(t.getMessage()).find();
        }

        private static String firstLine(ILoggingEvent event) {
            String message = event.getFormattedMessage();
            int newline = message.indexOf('\n');
            String line = newline < 0 ? message : message.substring(0, newline);
            return event.getLevel() + " " + event.getLoggerName() + " - "
                    + (line.length() > 120 ? line.substring(0, 120) + "…" : line);
        }
    }
}
