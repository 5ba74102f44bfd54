package io.bulwark.benchmarks;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An open-loop read load for an HTTP cache in front of the query API (the edge worker, or nginx):
 * GETs at a fixed rate over {@code keys} ids drawn uniformly or from a Zipf distribution, latency
 * measured from when each was due ({@link PipelinedHttpLoad}: plain sockets, so that the generator
 * leaves the CPU to the server under test). Reports percentiles, status and
 * {@code Bulwark-Cache} counts, the origin's own request count over the run (from the query API's
 * {@code bulwark_query_requests_seconds_count}) and so the share answered without an origin
 * request, and the CPU time the named server processes used per request (from /proc).
 *
 * <pre>
 * EdgeLoad name urlTemplate keys zipfExponent(0 = uniform) rate seconds originMetricsUrl cpuProcessName [tokenFile]
 * </pre>
 */
public final class EdgeLoad {

    private static final Pattern ORIGIN_COUNT =
            Pattern.compile("(?m)^bulwark_query_requests_seconds_count\\{[^}]*\\} ([0-9.eE+]+)$");

    private EdgeLoad() {}

    public static void main(String[] args) throws Exception {
        String name = args[0];
        String template = args[1];
        int keys = Integer.parseInt(args[2]);
        double exponent = Double.parseDouble(args[3]);
        int rate = Integer.parseInt(args[4]);
        int seconds = Integer.parseInt(args[5]);
        String metrics = args[6];
        String processName = args[7];
        String token = args.length > 8 ? Files.readString(Path.of(args[8])).trim() : null;

        double[] cdf = zipfCdf(keys, exponent);
        URI target = URI.create(template.replace("{key}", "0"));
        String pathTemplate = template.substring(template.indexOf('/', template.indexOf("//") + 2));
        long seed = System.nanoTime();
        HttpClient http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
        double originBefore = originRequests(http, metrics);
        long cpuBefore = cpuTicks(processName);
        long selfBefore = selfTicks();
        PipelinedHttpLoad.Result result = PipelinedHttpLoad.run(
                new InetSocketAddress(target.getHost(), target.getPort()),
                rate,
                Duration.ofSeconds(seconds),
                32,
                i -> {
                    // A reproducible key per request index (SplittableRandom is cheap and needs no sharing).
                    int key = pick(cdf, new SplittableRandom(seed + i).nextDouble());
                    return pathTemplate.replace("{key}", Integer.toString(key));
                },
                token == null ? List.of() : List.of("Authorization: Bearer " + token),
                "Bulwark-Cache");
        long cpuTicks = cpuTicks(processName) - cpuBefore;
        long selfTicks = selfTicks() - selfBefore;
        double origin = originRequests(http, metrics) - originBefore;
        Map<String, LongAdder> statuses = result.statuses();
        Map<String, LongAdder> cache = result.headerValues();
        long requests = result.latenciesMicros().length;
        System.out.printf(
                "%s: %d GETs at %.0f/s (asked %d/s, %d keys, zipf %.2f), failures %d%n",
                name, requests, result.achievedPerSecond(), rate, keys, exponent, result.failures());
        System.out.printf(
                "%s: latency p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms%n",
                name, result.percentileMs(50), result.percentileMs(99), result.percentileMs(99.9));
        System.out.printf("%s: statuses %s, cache %s%n", name, counts(statuses), counts(cache));
        System.out.printf(
                "%s: origin requests %.0f, answered without an origin request %.3f%n",
                name, origin, 1 - origin / requests);
        System.out.printf(
                "%s: %s CPU %.3f ms per request (%d ticks of 10 ms); this load generator %.3f ms per request%n",
                name, processName, cpuTicks * 10.0 / requests, cpuTicks, selfTicks * 10.0 / requests);
    }

    /** The cumulative Zipf(s) distribution over ranks 1..n; s = 0 is uniform. */
    static double[] zipfCdf(int n, double s) {
        double[] cdf = new double[n];
        double sum = 0;
        for (int k = 1; k <= n; k++) {
            sum += 1 / Math.pow(k, s);
            cdf[k - 1] = sum;
        }
        for (int i = 0; i < n; i++) {
            cdf[i] /= sum;
        }
        return cdf;
    }

    /** The 0-based rank whose CDF interval holds {@code u}. */
    static int pick(double[] cdf, double u) {
        int low = 0;
        int high = cdf.length - 1;
        while (low < high) {
            int mid = (low + high) >>> 1;
            if (cdf[mid] < u) {
                low = mid + 1;
            } else {
                high = mid;
            }
        }
        return low;
    }

    private static String counts(Map<String, LongAdder> counts) {
        Map<String, Long> sorted = new TreeMap<>();
        counts.forEach((k, v) -> sorted.put(k, v.sum()));
        return sorted.toString();
    }

    private static double originRequests(HttpClient http, String metricsUrl) throws Exception {
        String body = http.send(
                        HttpRequest.newBuilder(URI.create(metricsUrl)).build(), HttpResponse.BodyHandlers.ofString())
                .body();
        double total = 0;
        Matcher m = ORIGIN_COUNT.matcher(body);
        while (m.find()) {
            total += Double.parseDouble(m.group(1));
        }
        return total;
    }

    /** utime + stime of every other process whose command names {@code name}, in clock ticks (10 ms). */
    private static long cpuTicks(String name) {
        long self = ProcessHandle.current().pid();
        return ProcessHandle.allProcesses()
                .filter(p -> p.pid() != self)
                .filter(p -> p.info()
                        .command()
                        .map(c -> c.endsWith("/" + name) || c.equals(name))
                        .orElse(false))
                .mapToLong(p -> ticks(p.pid()))
                .sum();
    }

    private static long selfTicks() {
        return ticks(ProcessHandle.current().pid());
    }

    private static long ticks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }
}
