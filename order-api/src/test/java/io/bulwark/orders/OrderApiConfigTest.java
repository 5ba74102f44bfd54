package io.bulwark.orders;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bulwark.guard.ratelimit.ResilientRateLimiter;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class OrderApiConfigTest {

    private static Map<String, String> minimal(String... keyValues) {
        Map<String, String> flags = new HashMap<>(Map.of(
                OrderApiConfig.DB_URL,
                "jdbc:postgresql://x/y",
                OrderApiConfig.API_CLIENTS,
                "a:secret-secret:free",
                OrderApiConfig.OUTCOMES_ENABLED,
                "false"));
        for (int i = 0; i < keyValues.length; i += 2) {
            flags.put(keyValues[i], keyValues[i + 1]);
        }
        return flags;
    }

    @Test
    void shouldReadTheRateLimitFailurePolicyAsTheLimitersOwnEnum() {
        assertThat(OrderApiConfig.load(Map.of(), minimal()).rateLimitFailurePolicy())
                .isEqualTo(ResilientRateLimiter.FailurePolicy.FAIL_OPEN);
        assertThat(OrderApiConfig.load(Map.of(), minimal(OrderApiConfig.RATE_LIMIT_FAILURE_POLICY, "fail_closed"))
                        .rateLimitFailurePolicy())
                .isEqualTo(ResilientRateLimiter.FailurePolicy.FAIL_CLOSED);
        assertThatThrownBy(
                        () -> OrderApiConfig.load(Map.of(), minimal(OrderApiConfig.RATE_LIMIT_FAILURE_POLICY, "open")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(OrderApiConfig.RATE_LIMIT_FAILURE_POLICY)
                .hasMessageContaining("fail_open");
    }

    @Test
    void shouldRefuseAMalformedBulkheadInTheDefinitionNamingTheKey() {
        assertThatThrownBy(() -> OrderApiConfig.load(Map.of(), minimal(OrderApiConfig.BULKHEAD_STANDARD, "4/four/100")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(OrderApiConfig.BULKHEAD_STANDARD)
                .hasMessageContaining("<concurrency>/<queue depth>/<max wait ms>");
    }

    @Test
    void shouldReadOnlyItsOwnPrefixAndRefuseUnknownKeysWithinIt() {
        Map<String, String> environment = Map.of(
                "BULWARK_ORDERS_DB_URL",
                "jdbc:postgresql://x/y",
                "BULWARK_ORDERS_API_CLIENTS",
                "a:secret-secret:free",
                "BULWARK_ORDERS_OUTCOMES_ENABLED",
                "false",
                "BULWARK_STREAMS_HTTP_PORT",
                "8080",
                "BULWARK_DEV_JAVA_OPTS",
                "-Xmx1g");
        assertThat(OrderApiConfig.load(environment, Map.of()).getString(OrderApiConfig.DB_URL))
                .isEqualTo("jdbc:postgresql://x/y");

        Map<String, String> typo = new HashMap<>(environment);
        typo.put("BULWARK_ORDERS_HTTP_PROT", "8081");
        assertThatThrownBy(() -> OrderApiConfig.load(typo, Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("http.prot");
    }
}
