package io.bulwark.connectors.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class RelayMainTest {

    @Test
    void shouldReadOnlyItsOwnVariablesAndRefuseUnknownOnesUnderItsPrefix() {
        Map<String, String> environment = Map.of(
                "BULWARK_RELAY_DB_HOST",
                "db",
                "BULWARK_RELAY_CAPTURE_PASWORD",
                "x",
                "BULWARK_STREAMS_HTTP_PORT",
                "8080",
                "BULWARK_ORDERS_DB_URL",
                "jdbc:postgresql://x/y",
                "PATH",
                "/bin");

        assertThat(RelayMain.unknownVariables(environment)).containsExactly("BULWARK_RELAY_CAPTURE_PASWORD");
        assertThat(RelayMain.unknownVariables(Map.of("BULWARK_RELAY_DB_SCHEMA", "bulwark")))
                .isEmpty();
    }

    @Test
    void shouldExitWithBadConfigurationWithoutACaptureUser() {
        // No --db-user and (in this test's environment) no BULWARK_RELAY_CAPTURE_USER: refused before connecting.
        assumeTrue(System.getenv("BULWARK_RELAY_CAPTURE_USER") == null);
        int exit = new CommandLine(new RelayMain()).execute("--bootstrap-servers", "127.0.0.1:1");

        assertThat(exit).isEqualTo(RelayMain.EXIT_BAD_CONFIGURATION);
    }

    @Test
    void shouldTakeTheDatabaseFlagsOverTheirVariables() {
        RelayMain relay = new RelayMain();
        new CommandLine(relay).parseArgs("--bootstrap-servers", "k:9092", "--db-host", "pg", "--db-user", "capture");

        assertThat(relay.dbHost).isEqualTo("pg");
        assertThat(relay.dbUser).isEqualTo("capture");
        assertThat(relay.schema).isEqualTo(System.getenv().getOrDefault("BULWARK_RELAY_DB_SCHEMA", "bulwark"));
    }
}
