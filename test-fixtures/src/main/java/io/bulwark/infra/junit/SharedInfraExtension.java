package io.bulwark.infra.junit;

import io.bulwark.infra.Directories;
import io.bulwark.infra.KafkaService;
import io.bulwark.infra.PostgresService;
import io.bulwark.infra.RedisService;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Injects {@link KafkaService}, {@link PostgresService} and {@link RedisService} parameters into
 * tests, constructors and lifecycle methods. Each is started on first use and shared by every
 * test class in the JVM; JUnit stops it when the run ends. Which kind runs is chosen by
 * {@link Infra#selected()}.
 *
 * <p>Tests that share a server isolate themselves: unique topic names, their own Postgres schema
 * ({@link PostgresService#createUniqueSchema}), their own Redis key prefix.
 *
 * <pre>{@code
 * @ExtendWith(SharedInfraExtension.class)
 * class MyTest {
 *     @Test
 *     void shouldDoIt(KafkaService kafka) { ... kafka.bootstrapServers() ... }
 * }
 * }</pre>
 */
public final class SharedInfraExtension implements ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE =
            ExtensionContext.Namespace.create(SharedInfraExtension.class);

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == KafkaService.class || type == PostgresService.class || type == RedisService.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        Infra infra = Infra.selected();
        if (type == KafkaService.class) {
            return shared(context, KafkaService.class, infra::startKafka);
        }
        if (type == PostgresService.class) {
            return shared(context, PostgresService.class, infra::startPostgres);
        }
        return shared(context, RedisService.class, infra::startRedis);
    }

    private static <T extends AutoCloseable> T shared(
            ExtensionContext context, Class<T> type, Function<Path, T> start) {
        ExtensionContext.Store store = context.getRoot().getStore(NAMESPACE);
        Started<?> started = store.getOrComputeIfAbsent(
                type,
                key -> {
                    Path dir = tempDir(type.getSimpleName());
                    return new Started<>(start.apply(dir), dir);
                },
                Started.class);
        return type.cast(started.service());
    }

    private static Path tempDir(String name) {
        try {
            return Files.createTempDirectory("bulwark-" + name + "-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A started service and its data directory; JUnit closes it (stops, then deletes) at the end. */
    private record Started<T extends AutoCloseable>(T service, Path dir) implements AutoCloseable {
        @Override
        public void close() throws Exception {
            try {
                service.close();
            } finally {
                Directories.deleteRecursively(dir);
            }
        }
    }
}
