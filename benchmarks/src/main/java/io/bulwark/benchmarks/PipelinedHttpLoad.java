package io.bulwark.benchmarks;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongFunction;

/**
 * A lean open-loop HTTP/1.1 load: request {@code i} is due at {@code start + i / rate} and is
 * written, when due, on connection {@code i % connections} (keep-alive, pipelined); a reader per
 * connection parses the answers in order and measures each from when it was <i>due</i> (no
 * coordinated omission). A few threads and plain sockets: on a 2-core machine the generator must
 * not take the CPU the server under test needs (java.net.http cost ~0.4 ms of CPU per request here).
 */
final class PipelinedHttpLoad {

    /** Latencies (µs, sorted), failures, the achieved rate, statuses and a chosen header's values. */
    record Result(
            long[] latenciesMicros,
            int failures,
            double achievedPerSecond,
            Map<String, LongAdder> statuses,
            Map<String, LongAdder> headerValues) {
        double percentileMs(double p) {
            return FixedRateLoad.percentileMs(latenciesMicros, p);
        }
    }

    private PipelinedHttpLoad() {}

    /**
     * @param pathOf the path and query of request {@code i}
     * @param extraHeaders header lines (without CRLF) sent with every request
     * @param countedHeader the response header whose values are counted (e.g. {@code Bulwark-Cache})
     */
    static Result run(
            InetSocketAddress server,
            int perSecond,
            Duration duration,
            int connections,
            LongFunction<String> pathOf,
            List<String> extraHeaders,
            String countedHeader)
            throws Exception {
        long total = (long) perSecond * duration.toSeconds();
        long interval = TimeUnit.SECONDS.toNanos(1) / perSecond;
        long[] latencies = new long[(int) total];
        Arrays.fill(latencies, -1);
        AtomicInteger failures = new AtomicInteger();
        Map<String, LongAdder> statuses = new ConcurrentHashMap<>();
        Map<String, LongAdder> values = new ConcurrentHashMap<>();
        String fixed = "Host: " + server.getHostString() + ":" + server.getPort() + "\r\n"
                + String.join("", extraHeaders.stream().map(h -> h + "\r\n").toList()) + "\r\n";
        String counted = countedHeader.toLowerCase(Locale.ROOT) + ":";
        long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100);
        List<Thread> threads = new ArrayList<>();
        List<Socket> sockets = new ArrayList<>();
        for (int c = 0; c < connections; c++) {
            Socket socket = new Socket();
            socket.setTcpNoDelay(true);
            socket.connect(server, 5_000);
            sockets.add(socket);
            BlockingQueue<long[]> sent = new ArrayBlockingQueue<>(1 << 16);
            int connection = c;
            OutputStream out = socket.getOutputStream();
            InputStream in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
            threads.add(start("load-writer-" + c, () -> {
                try {
                    for (long i = connection; i < total; i += connections) {
                        long due = start + i * interval;
                        long wait = due - System.nanoTime();
                        if (wait > 0) {
                            LockSupport.parkNanos(wait);
                        }
                        sent.put(new long[] {i, due});
                        out.write(("GET " + pathOf.apply(i) + " HTTP/1.1\r\n" + fixed)
                                .getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                    }
                } catch (IOException | InterruptedException e) {
                    // the requests not written are counted as unanswered
                }
            }));
            long expected = (total - connection + connections - 1) / connections;
            threads.add(start("load-reader-" + c, () -> {
                try {
                    for (long n = 0; n < expected; n++) {
                        long[] request = sent.take();
                        String[] answer = readResponse(in, counted);
                        latencies[(int) request[0]] = (System.nanoTime() - request[1]) / 1000;
                        statuses.computeIfAbsent(answer[0], k -> new LongAdder())
                                .increment();
                        values.computeIfAbsent(answer[1], k -> new LongAdder()).increment();
                        if (!answer[0].equals("200")) {
                            failures.incrementAndGet();
                        }
                    }
                } catch (IOException | InterruptedException e) {
                    // the rest of this connection's requests are counted as unanswered
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join(duration.toMillis() * 10 + 60_000);
        }
        for (Socket socket : sockets) {
            socket.close();
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        long[] answered = Arrays.stream(latencies).filter(l -> l >= 0).sorted().toArray();
        // Failures: answers other than 200, plus requests never answered (a broken connection).
        int unanswered = (int) (total - answered.length);
        return new Result(answered, failures.get() + unanswered, answered.length / elapsed, statuses, values);
    }

    private static Thread start(String name, Runnable body) {
        Thread thread = new Thread(body, name);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    /** Reads one response: {status, value of the counted header or "-"}; the body is skipped. */
    private static String[] readResponse(InputStream in, String countedPrefix) throws IOException {
        String status = line(in);
        if (status == null) {
            throw new IOException("connection closed");
        }
        String code = status.length() >= 12 ? status.substring(9, 12) : "???";
        long length = -1;
        boolean chunked = false;
        String value = "-";
        for (String header = line(in); header != null && !header.isEmpty(); header = line(in)) {
            String lower = header.toLowerCase(Locale.ROOT);
            if (lower.startsWith("content-length:")) {
                length = Long.parseLong(header.substring(15).trim());
            } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                chunked = true;
            } else if (lower.startsWith(countedPrefix)) {
                value = header.substring(countedPrefix.length()).trim();
            }
        }
        if (chunked) {
            for (long size = Long.parseLong(line(in).split(";")[0].trim(), 16);
                    size > 0;
                    size = Long.parseLong(line(in).split(";")[0].trim(), 16)) {
                in.skipNBytes(size);
                line(in);
            }
            line(in);
        } else if (length > 0 && !code.equals("304")) {
            in.skipNBytes(length);
        }
        return new String[] {code, value};
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder(64);
        int b;
        while ((b = in.read()) != -1) {
            if (b == '\n') {
                int end = line.length();
                return end > 0 && line.charAt(end - 1) == '\r' ? line.substring(0, end - 1) : line.toString();
            }
            line.append((char) b);
        }
        return line.length() == 0 ? null : line.toString();
    }
}
