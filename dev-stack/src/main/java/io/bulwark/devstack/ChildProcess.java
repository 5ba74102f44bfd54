package io.bulwark.devstack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * One component of a run in its own JVM, started again and again with the same command: its output
 * goes (appended) to {@code <name>.log}; {@link #kill()} sends SIGKILL, {@link #stop()} SIGTERM.
 */
final class ChildProcess implements AutoCloseable {

    private final String name;
    private final List<String> command;
    private final Map<String, String> environment;
    private final Path log;
    private final Readiness ready;
    private Process process;
    private long logOffset;
    /** Down on purpose (killed or stopped, not yet started again): a supervisor leaves it alone. */
    private boolean expectedDown = true;

    /** When a (re)started process serves. */
    @FunctionalInterface
    interface Readiness {
        boolean ready(ChildProcess process);

        /** Ready once it printed this line (since its latest start). */
        static Readiness printed(String line) {
            return process -> process.printedSinceStart(line);
        }

        static Readiness when(BooleanSupplier check) {
            return process -> check.getAsBoolean();
        }
    }

    /**
     * @param mainClass a class on this JVM's class path
     * @param ready true once the component serves (checked every 100 ms after a start)
     */
    ChildProcess(
            String name,
            Path logDir,
            List<String> jvmOptions,
            String mainClass,
            List<String> args,
            Map<String, String> environment,
            Readiness ready) {
        this.name = name;
        this.log = logDir.resolve(name + ".log");
        this.environment = Map.copyOf(environment);
        this.ready = ready;
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass);
        cmd.addAll(args);
        this.command = List.copyOf(cmd);
    }

    String name() {
        return name;
    }

    Path log() {
        return log;
    }

    /** Starts the process and waits until it is ready; fails naming its log when it exits or takes too long. */
    synchronized void start(Duration timeout) {
        if (process != null && process.isAlive()) {
            return;
        }
        try {
            Files.createDirectories(log.getParent());
            logOffset = Files.exists(log) ? Files.size(log) : 0;
            ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            builder.environment().putAll(environment);
            process = builder.start();
            expectedDown = false;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start " + name, e);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!ready.ready(this)) {
            if (!process.isAlive()) {
                throw new IllegalStateException(
                        name + " exited with " + process.exitValue() + " while starting; see " + log);
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(name + " was not ready within " + timeout + "; see " + log);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
        }
    }

    private boolean printedSinceStart(String line) {
        try (var channel = FileChannel.open(log)) {
            if (channel.size() <= logOffset) {
                return false;
            }
            ByteBuffer text = ByteBuffer.allocate((int) Math.min(channel.size() - logOffset, 1 << 22));
            channel.read(text, logOffset);
            return new String(text.array(), 0, text.position(), StandardCharsets.UTF_8).contains(line);
        } catch (IOException e) {
            return false;
        }
    }

    /** SIGKILL: no shutdown hook, no flush, no goodbye to the cluster. */
    synchronized void kill() {
        expectedDown = true;
        if (process != null) {
            process.destroyForcibly();
            await(Duration.ofSeconds(30));
        }
    }

    /** SIGTERM, then SIGKILL if it has not exited within {@code grace}. */
    synchronized void stop(Duration grace) {
        expectedDown = true;
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!await(grace)) {
                process.destroyForcibly();
                await(Duration.ofSeconds(30));
            }
        }
    }

    synchronized boolean alive() {
        return process != null && process.isAlive();
    }

    /** The exit status if it exited without being asked to (a crash, or an exit by its own policy). */
    synchronized OptionalInt exitedOnItsOwn() {
        return !expectedDown && process != null && !process.isAlive()
                ? OptionalInt.of(process.exitValue())
                : OptionalInt.empty();
    }

    private boolean await(Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public void close() {
        stop(Duration.ofSeconds(30));
    }
}
