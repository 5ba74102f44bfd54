package io.bulwark.benchmarks;

import java.lang.reflect.Method;

/**
 * Profiles the measured part of a benchmark only (warm-up excluded) with async-profiler, when asked:
 * {@code BENCH_JAVA_OPTS="-Xmx1g -Xbootclasspath/a:<async-profiler.jar> -Dbench.profile=/tmp/out.collapsed"}
 * (the {@code tools.profiler:async-profiler} jar from Maven Central carries the native library). Without
 * {@code bench.profile} both calls do nothing. Reached by reflection, so the benchmarks need no
 * profiler dependency.
 */
final class Profiling {

    private static final String OUTPUT = System.getProperty("bench.profile");

    private Profiling() {}

    /** Starts CPU sampling (5 ms, per thread). */
    static void start() {
        execute("start,event=cpu,interval=5ms,threads");
    }

    /** Stops sampling and writes collapsed stacks to the {@code bench.profile} file. */
    static void stop() {
        execute("stop,collapsed,file=" + OUTPUT);
    }

    private static void execute(String command) {
        if (OUTPUT == null) {
            return;
        }
        try {
            Class<?> profiler = Class.forName("one.profiler.AsyncProfiler");
            Object instance = profiler.getMethod("getInstance").invoke(null);
            Method execute = profiler.getMethod("execute", String.class);
            System.out.println("async-profiler: " + execute.invoke(instance, command));
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("bench.profile is set but async-profiler is not on the class path", e);
        }
    }
}
