package io.bulwark.streams.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bulwark.streams.app.AppConfig;
import io.bulwark.streams.app.ConfigLoader;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

/** Start-up validation of the query settings, the parameter rules and the key checks, without a broker. */
class QuerySettingsTest {

    private static AppConfig load(String key, String value) {
        return ConfigLoader.load(null, Map.of(), Map.of(AppConfig.BOOTSTRAP_SERVERS, "localhost:9092", key, value));
    }

    @Test
    void shouldRefuseMalformedKeysNamingTheSettingButNotTheSecret() {
        assertThatThrownBy(() -> load(AppConfig.QUERY_AUTH_KEYS, "ops:short"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(AppConfig.QUERY_AUTH_KEYS)
                .hasMessageNotContaining("short");
        assertThatThrownBy(() -> load(AppConfig.QUERY_AUTH_KEYS, "ops:long-enough-1,ops:long-enough-2"))
                .hasMessageContaining("appears twice")
                .hasMessageNotContaining("long-enough");
    }

    @Test
    void shouldRefuseMalformedCachePolicies() {
        assertThatThrownBy(() -> load(AppConfig.QUERY_CACHE_CONTROL, "default=1"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(AppConfig.QUERY_CACHE_CONTROL);
        assertThatThrownBy(() -> load(AppConfig.QUERY_CACHE_CONTROL, "default=-1/5"))
                .hasMessageContaining(AppConfig.QUERY_CACHE_CONTROL);
    }

    @Test
    void shouldCheckKeysAndScopes() {
        QueryAuth auth = QueryAuth.parse("ops:secret-one,board:secret-two:stock-level|order-status", "k");
        assertThat(auth.check(Map.of(), "saga").status()).isEqualTo(401);
        assertThat(auth.check(Map.of("Authorization", "Bearer secret-one"), "saga")
                        .status())
                .isEqualTo(200);
        assertThat(auth.check(Map.of("Authorization", "bearer secret-one"), "saga")
                        .status())
                .isEqualTo(200);
        assertThat(auth.check(Map.of("Authorization", "Basic secret-one"), "saga")
                        .status())
                .isEqualTo(401);
        assertThat(auth.check(Map.of("X-API-Key", "secret-two"), "order-status").status())
                .isEqualTo(200);
        assertThat(auth.check(Map.of("X-API-Key", "secret-two"), "saga").status())
                .isEqualTo(403);
        assertThat(auth.check(Map.of("X-API-Key", "secret-thre"), "saga").code())
                .isEqualTo("invalid-credentials");
        assertThat(QueryAuth.open().check(Map.of(), "saga").status()).isEqualTo(200);
    }

    @Test
    void shouldParseTimesAndRefuseWhatDoesNotApply() {
        Instant now = Instant.parse("2026-11-26T07:00:00Z");
        QueryParams asOf = QueryParams.parse("asOf=2026-11-26T06%3A00%3A00Z", QueryEndpoint.Shape.VERSIONED_KEY, now);
        assertThat(asOf.asOf()).isEqualTo(Instant.parse("2026-11-26T06:00:00Z"));
        assertThat(QueryParams.parse("asOf=1000", QueryEndpoint.Shape.VERSIONED_KEY, now)
                        .asOf())
                .isEqualTo(Instant.ofEpochMilli(1000));
        assertThat(QueryParams.parse("asOf=2999-01-01T00:00:00Z", QueryEndpoint.Shape.VERSIONED_KEY, now)
                        .asOf())
                .as("the future is now")
                .isNull();
        QueryParams windows = QueryParams.parse("", QueryEndpoint.Shape.WINDOWS, now);
        assertThat(windows.to()).isEqualTo(now);
        assertThat(windows.from()).isEqualTo(now.minus(QueryParams.DEFAULT_WINDOW_SPAN));
        for (String bad : List.of("asOf=x", "from=1&from=2", "limit=3", "to=99999999999999999999")) {
            assertThatThrownBy(() -> QueryParams.parse(
                            bad,
                            bad.startsWith("asOf") ? QueryEndpoint.Shape.VERSIONED_KEY : QueryEndpoint.Shape.WINDOWS,
                            now))
                    .as(bad)
                    .isInstanceOf(QueryParams.BadParameter.class);
        }
        assertThatThrownBy(() -> QueryParams.parse("asOf=1", QueryEndpoint.Shape.KEY, now))
                .isInstanceOf(QueryParams.BadParameter.class);
    }

    @Test
    void shouldMatchPathsAndRefuseClashingRegistrations() {
        QueryRegistry registry = new QueryRegistry()
                .key("thing", "/query/things/{id}", "s", String.class, null, "")
                .all("things", "/query/things", "s", "");
        assertThat(registry.match("/query/things/a%2Fb+c")).hasValueSatisfying(m -> {
            assertThat(m.endpoint().name()).isEqualTo("thing");
            assertThat(m.key()).isEqualTo("a/b+c");
        });
        assertThat(registry.match("/query/things"))
                .hasValueSatisfying(m -> assertThat(m.key()).isNull());
        assertThat(registry.match("/query/things/")).isEmpty();
        assertThatThrownBy(() -> registry.key("other", "/query/things/{id}", "t", String.class, null, ""))
                .hasMessageContaining("clashes");
        assertThatThrownBy(() -> registry.key("bad", "/query/nokey", "t", String.class, null, ""))
                .hasMessageContaining("{id}");
    }
}
