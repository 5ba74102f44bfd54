package io.bulwark.guard.pg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bulwark.guard.lock.LockNotAcquiredException;
import io.bulwark.infra.PostgresService;
import io.bulwark.infra.junit.SharedInfraExtension;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SharedInfraExtension.class)
class AdvisoryLocksTest {

    private final String resource = "adv-" + UUID.randomUUID();

    @Test
    void shouldMapResourceNamesToStableKeys() {
        // The documented mapping: first 8 bytes of SHA-256, big-endian, signed.
        assertThat(AdvisoryLocks.key("a")).isEqualTo(0xca978112ca1bbdcaL); // sha256("a") = ca978112ca1bbdca...
    }

    @Test
    void shouldExcludeOtherTransactionsUntilCommit(PostgresService postgres) throws Exception {
        try (Connection a = postgres.connect();
                Connection b = postgres.connect()) {
            a.setAutoCommit(false);
            b.setAutoCommit(false);
            assertThat(AdvisoryLocks.tryTransactionLock(a, resource)).isTrue();
            assertThat(AdvisoryLocks.tryTransactionLock(b, resource)).isFalse();
            assertThatThrownBy(() -> AdvisoryLocks.transactionLock(b, resource, Duration.ofMillis(100)))
                    .isInstanceOf(LockNotAcquiredException.class);
            b.rollback();
            a.commit(); // releases
            assertThat(AdvisoryLocks.tryTransactionLock(b, resource)).isTrue();
            b.commit();
        }
    }

    @Test
    void shouldHoldSessionLockAcrossTransactionsUntilClosed(PostgresService postgres) throws Exception {
        try (Connection a = postgres.connect();
                Connection b = postgres.connect()) {
            AdvisoryLocks.SessionLock lock = AdvisoryLocks.sessionLock(a, resource, Duration.ofSeconds(1));
            assertThat(AdvisoryLocks.trySessionLock(b, resource)).isEmpty();
            assertThatThrownBy(() -> AdvisoryLocks.sessionLock(b, resource, Duration.ofMillis(100)))
                    .isInstanceOf(LockNotAcquiredException.class);
            lock.close();
            try (AdvisoryLocks.SessionLock taken =
                    AdvisoryLocks.trySessionLock(b, resource).orElseThrow()) {
                assertThat(taken.resource()).isEqualTo(resource);
            }
        }
    }

    @Test
    void shouldLeaveTheCallersOpenTransactionAloneWhenTakingASessionLock(PostgresService postgres) throws Exception {
        String table = "adv_" + UUID.randomUUID().toString().replace("-", "");
        try (Connection a = postgres.connect();
                Connection b = postgres.connect()) {
            try (var s = a.createStatement()) {
                s.execute("CREATE TABLE " + table + " (id int)");
            }
            a.setAutoCommit(false);
            try (var s = a.createStatement()) {
                s.execute("SET LOCAL lock_timeout = '7s'");
                s.execute("INSERT INTO " + table + " VALUES (1)");
            }
            try (AdvisoryLocks.SessionLock lock = AdvisoryLocks.sessionLock(a, resource, Duration.ofSeconds(1))) {
                assertThat(lockTimeout(a)).as("the caller's setting is back").isEqualTo("7s");
                assertThat(count(b, table))
                        .as("the caller's write is not committed for it")
                        .isZero();
                assertThat(AdvisoryLocks.trySessionLock(b, resource)).isEmpty();
            }
            a.rollback();
            assertThat(count(b, table))
                    .as("and the caller can still roll it back")
                    .isZero();
            assertThat(a.getAutoCommit()).isFalse();
        }
    }

    @Test
    void shouldRestoreTheCallersLockTimeoutAndKeepItsTransactionUsable(PostgresService postgres) throws Exception {
        try (Connection a = postgres.connect();
                Connection b = postgres.connect()) {
            a.setAutoCommit(false);
            b.setAutoCommit(false);
            AdvisoryLocks.transactionLock(a, resource, Duration.ofMillis(100));
            assertThat(lockTimeout(a))
                    .as("no SET LOCAL leaks into later statements")
                    .isEqualTo("0");
            assertThatThrownBy(() -> AdvisoryLocks.transactionLocks(
                            b, List.of(resource + "-free", resource), Duration.ofMillis(100)))
                    .isInstanceOf(LockNotAcquiredException.class)
                    .hasMessageContaining(resource);
            assertThat(lockTimeout(b))
                    .as("usable after the refusal, setting restored")
                    .isEqualTo("0");
            assertThat(AdvisoryLocks.tryTransactionLock(a, resource + "-free"))
                    .as("the refused call left no lock behind")
                    .isTrue();
            a.commit();
            b.commit();
        }
    }

    private static String lockTimeout(Connection connection) throws Exception {
        try (var s = connection.createStatement();
                var rs = s.executeQuery("SHOW lock_timeout")) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static long count(Connection connection, String table) throws Exception {
        try (var s = connection.createStatement();
                var rs = s.executeQuery("SELECT count(*) FROM " + table)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void shouldNotDeadlockWhenTransactionsLockOverlappingSetsInOppositeOrder(PostgresService postgres)
            throws Exception {
        List<String> forward = List.of(resource + "-x", resource + "-y", resource + "-z");
        List<String> backward = List.of(resource + "-z", resource + "-y", resource + "-x");
        CompletableFuture<Void> one = CompletableFuture.runAsync(() -> lockRepeatedly(postgres, forward));
        CompletableFuture<Void> two = CompletableFuture.runAsync(() -> lockRepeatedly(postgres, backward));
        CompletableFuture.allOf(one, two).get(); // a deadlock would surface as SQLState 40P01 here
    }

    @Test
    void shouldRefuseTransactionLockOutsideATransaction(PostgresService postgres) throws Exception {
        try (Connection c = postgres.connect()) {
            assertThatThrownBy(() -> AdvisoryLocks.tryTransactionLock(c, resource))
                    .hasMessageContaining("setAutoCommit(false)");
        }
    }

    private static void lockRepeatedly(PostgresService postgres, List<String> resources) {
        try (Connection c = postgres.connect()) {
            c.setAutoCommit(false);
            for (int i = 0; i < 200; i++) {
                AdvisoryLocks.transactionLocks(c, resources, Duration.ofSeconds(10));
                c.commit();
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
