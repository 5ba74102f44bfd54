package io.bulwark.devstack;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class DevStackVariablesTest {

    @Test
    void shouldRefuseAnUnknownDevStackVariableAndLeaveTheComponentsVariablesToThem() {
        assertThatCode(() -> DevStack.checkOwnVariables(Map.of(
                        "BULWARK_DEV_JAVA_OPTS",
                        "-Xmx1g",
                        "BULWARK_STREAMS_NUM_STREAM_THREADS",
                        "1",
                        "BULWARK_ORDERS_HTTP_PORT",
                        "8081")))
                .doesNotThrowAnyException();
        assertThatThrownBy(() -> DevStack.checkOwnVariables(Map.of("BULWARK_DEV_API_KY", "k")))
                .hasMessageContaining("BULWARK_DEV_API_KY")
                .hasMessageContaining("BULWARK_DEV_API_KEY");
    }
}
