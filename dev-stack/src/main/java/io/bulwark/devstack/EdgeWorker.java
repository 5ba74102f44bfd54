package io.bulwark.devstack;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bulwark.schemas.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The edge worker ({@code edge/}, TypeScript) running in workerd through Miniflare, in front of the
 * dev-stack's query API and order-api: {@code node edge/scripts/serve.mjs} as a child process. The
 * dev-stack gives it an HS256 key (its JWKS, in the data directory, owner-only), the secret it signs
 * identities for the origins with, and mints a development token valid for a day into
 * {@code <data dir>/edge-token}. Stopping it stops workerd too.
 */
final class EdgeWorker implements AutoCloseable {

    /** The key id of the development signing key. */
    static final String KID = "dev-hs256";
    /** Every scope the edge knows, for the development token. */
    static final String ALL_SCOPES = "query:read orders:write orders:read customers:write customers:read edge:purge";

    private static final Pattern LISTENING = Pattern.compile("Bulwark edge listening on (http://\\S+)");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private final Process process;
    private final String baseUrl;

    private EdgeWorker(Process process, String baseUrl) {
        this.process = process;
        this.baseUrl = baseUrl;
    }

    /** Why the edge cannot run here (no Node 20, not built), or empty when it can. */
    static Optional<String> unavailable(Path edgeDir) {
        if (!Files.isRegularFile(edgeDir.resolve("dist/worker.js"))
                || !Files.isDirectory(edgeDir.resolve("node_modules/miniflare"))) {
            return Optional.of(
                    "not built (" + edgeDir + "/dist/worker.js; it needs Node.js 20+ with npm when Maven builds)");
        }
        try {
            Process node = new ProcessBuilder("node", "-p", "process.versions.node.split('.')[0]")
                    .redirectErrorStream(true)
                    .start();
            String major = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!node.waitFor(10, TimeUnit.SECONDS) || Integer.parseInt(major) < 20) {
                return Optional.of("it needs Node.js 20 or newer (found " + major + ")");
            }
        } catch (IOException | NumberFormatException e) {
            return Optional.of("it needs Node.js 20 or newer on PATH");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("interrupted");
        }
        return Optional.empty();
    }

    /** The arguments of one region, "local", whose origins are {@code queryUrl} and {@code ordersUrl}. */
    static List<String> oneRegion(String queryUrl, String ordersUrl) {
        return List.of("--query", queryUrl, "--orders", ordersUrl);
    }

    /**
     * Starts the worker on {@code port} (0: a free one) with the origins {@code originArgs} name
     * ({@link #oneRegion}, or {@code --regions-file}); its output goes to {@code <data dir>/edge.log}.
     */
    static EdgeWorker start(
            Path edgeDir, Path dataDir, int port, List<String> originArgs, String originSecret, byte[] signingKey)
            throws IOException {
        Path jwks = dataDir.resolve("edge-jwks.json");
        ObjectNode set = Json.mapper().createObjectNode();
        set.putArray("keys")
                .addObject()
                .put("kty", "oct")
                .put("kid", KID)
                .put("alg", "HS256")
                .put("k", Base64.getUrlEncoder().withoutPadding().encodeToString(signingKey));
        DevSecrets.writeOwnerOnly(jwks, Json.mapper().writeValueAsString(set));
        Path log = dataDir.resolve("edge.log");
        List<String> command = new ArrayList<>(
                List.of("node", "scripts/serve.mjs", "--port", Integer.toString(port), "--jwks-file", jwks.toString()));
        command.addAll(originArgs);
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(edgeDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()));
        builder.environment().put("EDGE_ORIGIN_SECRET", originSecret);
        Process process = builder.start();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            Matcher listening = LISTENING.matcher(Files.readString(log));
            if (listening.find()) {
                return new EdgeWorker(process, listening.group(1));
            }
            if (!process.isAlive()) {
                throw new IllegalStateException("The edge worker exited with " + process.exitValue() + "; see " + log);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
        }
        new EdgeWorker(process, "").close();
        throw new IllegalStateException("The edge worker did not start within " + START_TIMEOUT + "; see " + log);
    }

    String baseUrl() {
        return baseUrl;
    }

    /** A compact HS256 JWT for the edge, signed with {@code key} under {@link #KID}. */
    static String mint(byte[] key, Map<String, Object> claims) {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        try {
            String header = b64.encodeToString(
                    Json.mapper().writeValueAsBytes(Map.of("alg", "HS256", "kid", KID, "typ", "JWT")));
            String payload = b64.encodeToString(Json.mapper().writeValueAsBytes(claims));
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            byte[] signature = mac.doFinal((header + "." + payload).getBytes(StandardCharsets.US_ASCII));
            return header + "." + payload + "." + b64.encodeToString(signature);
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("Cannot sign a development token", e);
        }
    }

    /** The development token: client {@code dev}, every scope, valid for {@code ttl}. */
    static String devToken(byte[] key, Duration ttl) {
        long now = Instant.now().getEpochSecond();
        return mint(
                key,
                Map.of(
                        "sub",
                        "dev-user",
                        "aud",
                        "bulwark",
                        "client_id",
                        "dev",
                        "scope",
                        ALL_SCOPES,
                        "iat",
                        now,
                        "exp",
                        now + ttl.toSeconds()));
    }

    /** SIGTERM to node and its workerd, then SIGKILL for whatever is left after five seconds. */
    @Override
    public void close() {
        List<ProcessHandle> family = new ArrayList<>(process.descendants().toList());
        family.add(process.toHandle());
        family.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        for (ProcessHandle member : family) {
            while (member.isAlive() && System.nanoTime() < deadline) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
            }
            if (member.isAlive()) {
                member.destroyForcibly();
            }
        }
    }
}
