package io.bulwark.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A binary still open for writing cannot be executed (ETXTBSY); the embedded Redis start waits it out. */
class TextFileBusyTest {

    @Test
    void shouldStartABinaryOnceTheDescriptorHoldingItOpenForWritingIsClosed(@TempDir Path dir) throws Exception {
        Path script = dir.resolve("hello.sh");
        OutputStream writing = Files.newOutputStream(script);
        writing.write("#!/bin/sh\necho hello\n".getBytes(StandardCharsets.UTF_8));
        writing.flush();
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        CompletableFuture<Void> closeLater = CompletableFuture.runAsync(
                () -> {
                    try {
                        writing.close();
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                },
                CompletableFuture.delayedExecutor(100, TimeUnit.MILLISECONDS));

        Process process = EmbeddedRedisServer.startRetryingTextFileBusy(new ProcessBuilder(script.toString()));

        closeLater.join();
        assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
                .isEqualTo("hello\n");
    }

    @Test
    void shouldThrowAnyOtherStartFailureAtOnce(@TempDir Path dir) {
        ProcessBuilder missing =
                new ProcessBuilder(dir.resolve("no-such-binary").toString());

        assertThatThrownBy(() -> EmbeddedRedisServer.startRetryingTextFileBusy(missing))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("error=2,");
    }
}
