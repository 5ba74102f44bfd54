package io.bulwark.orders;

import io.bulwark.infra.PostgresService;
import io.bulwark.infra.RedisService;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** One order-api on the shared PostgreSQL (own schema) and Redis, with an HTTP client for it. */
final class OrderApiFixture implements AutoCloseable {

    static final String SHOP = "Bearer shop-secret-1";
    static final String FREE = "Bearer free-secret-1";

    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    final String schema =
            "orders_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    final OrderApiApp app;
    private final String redisUri;

    OrderApiFixture(
            PostgresService postgres,
            RedisService redis,
            OrderService.Checkpoint checkpoint,
            Map<String, String> extra) {
        Map<String, String> flags = new HashMap<>(Map.of(
                OrderApiConfig.DB_URL,
                postgres.jdbcUrl(),
                OrderApiConfig.DB_USER,
                postgres.username(),
                OrderApiConfig.DB_PASSWORD,
                postgres.password(),
                OrderApiConfig.DB_SCHEMA,
                schema,
                OrderApiConfig.REDIS_URI,
                redis.uri(),
                OrderApiConfig.HTTP_PORT,
                "0",
                OrderApiConfig.API_CLIENTS,
                "shop:shop-secret-1:internal,tiny:free-secret-1:free",
                OrderApiConfig.CUSTOMERS_AUTO_PROVISION,
                "true",
                OrderApiConfig.OUTCOMES_ENABLED,
                "false"));
        flags.putAll(extra);
        redisUri = redis.uri();
        app = OrderApiApp.start(OrderApiConfig.load(Map.of(), flags), new SimpleMeterRegistry(), checkpoint);
    }

    HttpResponse<String> post(String path, String body, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + path))
                .timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return send(request.build());
    }

    /** {@code POST /orders} as the shop client, with a JSON body and an idempotency key. */
    HttpResponse<String> postOrder(String body, String idempotencyKey) {
        return post(
                "/orders",
                body,
                "Authorization",
                SHOP,
                "Content-Type",
                "application/json",
                "Idempotency-Key",
                idempotencyKey);
    }

    HttpResponse<String> put(String path, String body, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + path))
                .timeout(Duration.ofSeconds(30))
                .PUT(HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return send(request.build());
    }

    HttpResponse<String> get(String path, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + path))
                .timeout(Duration.ofSeconds(30))
                .GET();
        if (headers.length > 0) {
            request.headers(headers);
        }
        return send(request.build());
    }

    static HttpResponse<String> send(HttpRequest request) {
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Deletes the Redis keys matching {@code pattern}, as a Redis that lost them (eviction, fail-over). */
    void deleteRedisKeys(String pattern) {
        RedisClient client = RedisClient.create(redisUri);
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            List<String> keys = connection.sync().keys(pattern);
            if (!keys.isEmpty()) {
                connection.sync().del(keys.toArray(String[]::new));
            }
        } finally {
            client.shutdown();
        }
    }

    long count(String table) {
        return count(table, "true");
    }

    long count(String table, String where) {
        try (Connection connection = app.dataSource().getConnection();
                Statement statement = connection.createStatement();
                ResultSet row =
                        statement.executeQuery("SELECT count(*) FROM " + schema + "." + table + " WHERE " + where)) {
            row.next();
            return row.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs one SQL statement on the API's database; {@code {schema}} names its schema. */
    void execute(String sql) {
        try (Connection connection = app.dataSource().getConnection();
                Statement statement = connection.createStatement()) {
            statement.execute(sql.replace("{schema}", schema));
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    static String order(String customer, int quantity) {
        return "{\"customerId\":\"" + customer + "\",\"currency\":\"EUR\",\"lines\":[{\"sku\":\"sku-1\",\"quantity\":"
                + quantity + ",\"unitPriceCents\":250}]}";
    }

    @Override
    public void close() {
        app.close();
    }
}
