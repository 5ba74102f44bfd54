package io.bulwark.infra;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.embedded.core.ExecutableProvider;

/**
 * A real {@code redis-server} process on a loopback port.
 *
 * <p>The executable is the {@code redis-server} on {@code PATH} when there is one (the Redis the
 * machine has, e.g. Debian's 7.x); otherwise the binary shipped in the
 * {@code com.github.codemonstur:embedded-redis} artifact (6.2). The server's working directory,
 * log and (when {@link Builder#persistent persistent}) append-only file live in {@code dataDir/redis}.
 */
public final class EmbeddedRedisServer implements RedisService {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedRedisServer.class);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(20);

    private final Path dir;
    private final int port;
    private final boolean persistent;
    private Process process;

    private EmbeddedRedisServer(Builder builder) {
        this.dir = builder.dataDir.resolve("redis");
        this.port = Ports.orFree(builder.port);
        this.persistent = builder.persistent;
    }

    public static Builder builder(Path dataDir) {
        return new Builder(dataDir);
    }

    /** The {@code redis-server} this class will run: the one on {@code PATH}, else the bundled one. */
    public static Path executable() {
        return onPath("redis-server").orElseGet(() -> {
            try {
                File bundled = ExecutableProvider.newJarResourceProvider().get();
                if (!bundled.canExecute() && !bundled.setExecutable(true)) {
                    throw new IllegalStateException("Cannot make " + bundled + " executable");
                }
                return bundled.toPath();
            } catch (IOException e) {
                throw new UncheckedIOException("No redis-server on PATH and the bundled one cannot be unpacked", e);
            }
        });
    }

    public synchronized EmbeddedRedisServer start() {
        if (process != null) {
            return this;
        }
        long began = System.nanoTime();
        Path executable = executable();
        List<String> command = new ArrayList<>(List.of(
                executable.toString(),
                "--port",
                Integer.toString(port),
                "--bind",
                "127.0.0.1",
                "--dir",
                dir.toString(),
                "--daemonize",
                "no",
                "--protected-mode",
                "yes",
                "--save",
                ""));
        command.addAll(
                persistent
                        ? List.of("--appendonly", "yes", "--appendfsync", "everysec")
                        : List.of("--appendonly", "no"));
        try {
            Files.createDirectories(dir);
            ProcessBuilder builder = new ProcessBuilder(command)
                    .directory(dir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(
                            dir.resolve("redis.log").toFile()));
            process = startRetryingTextFileBusy(builder);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start " + executable + " on port " + port, e);
        }
        awaitPong();
        log.info(
                "Redis ({}) listening on {}:{} in {} ms",
                executable,
                host(),
                port,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began));
        return this;
    }

    /**
     * Starts {@code builder}, again after a short pause when the kernel answers ETXTBSY ("Text file busy"):
     * the bundled binary was just unpacked, and a process forked meanwhile by another thread of this JVM
     * (PostgreSQL starting in parallel, in the dev-stack) briefly holds the unpacking's write descriptor
     * until it execs (JDK-8068370). Seen once in a dev-stack start; any other error is thrown at once.
     */
    static Process startRetryingTextFileBusy(ProcessBuilder builder) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                return builder.start();
            } catch (IOException e) {
                if (attempt >= 10 || e.getMessage() == null || !e.getMessage().contains("error=26")) {
                    throw e;
                }
                try {
                    Thread.sleep(20L * attempt);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    @Override
    public String host() {
        return "127.0.0.1";
    }

    @Override
    public int port() {
        return port;
    }

    /** The operating-system process id, for checks that nothing is left behind. */
    public synchronized Optional<Long> pid() {
        return Optional.ofNullable(process).map(Process::pid);
    }

    @Override
    public synchronized void close() {
        if (process == null) {
            return;
        }
        process.destroy(); // SIGTERM: Redis flushes the append-only file and exits
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                log.warn("Redis on port {} did not stop within 10 s; killing it", port);
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        } finally {
            process = null;
        }
        log.info("Redis on port {} stopped", port);
    }

    private void awaitPong() {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        IOException last = null;
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("redis-server exited with " + process.exitValue() + " on start; see "
                        + dir.resolve("redis.log"));
            }
            try {
                if (ping()) {
                    return;
                }
            } catch (IOException e) {
                last = e;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
        close();
        throw new IllegalStateException("Redis on port " + port + " did not answer PING within " + READY_TIMEOUT, last);
    }

    private boolean ping() throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
            socket.setSoTimeout(1_000);
            OutputStream out = socket.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] reply = in.readNBytes(7);
            return new String(reply, StandardCharsets.US_ASCII).equals("+PONG\r\n");
        }
    }

    private static Optional<Path> onPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String entry : path.split(File.pathSeparator)) {
            if (entry.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(entry, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** Settings of an {@link EmbeddedRedisServer}. */
    public static final class Builder {
        private final Path dataDir;
        private int port;
        private boolean persistent;

        private Builder(Path dataDir) {
            this.dataDir = Objects.requireNonNull(dataDir, "dataDir");
        }

        /** Port; 0 (default) picks a free one. */
        public Builder port(int port) {
            this.port = EmbeddedKafkaBroker.Builder.checkPort("port", port);
            return this;
        }

        /** Keep data across restarts in an append-only file (default {@code false}: memory only). */
        public Builder persistent(boolean persistent) {
            this.persistent = persistent;
            return this;
        }

        public EmbeddedRedisServer build() {
            return new EmbeddedRedisServer(this);
        }
    }
}
