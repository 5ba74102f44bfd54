package io.bulwark.devstack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;

/** The dev-stack's generated secrets and keys: kept in its data directory, readable by the owner only. */
final class DevSecrets {

    private DevSecrets() {}

    /** A secret of {@code bytes} random bytes kept in {@code file} (owner-only), made on first use. */
    static byte[] secret(Path file, int bytes) throws IOException {
        if (Files.exists(file)) {
            return Base64.getUrlDecoder().decode(Files.readString(file).trim());
        }
        byte[] secret = new byte[bytes];
        new SecureRandom().nextBytes(secret);
        writeOwnerOnly(file, Base64.getUrlEncoder().withoutPadding().encodeToString(secret));
        return secret;
    }

    static void writeOwnerOnly(Path file, String content) throws IOException {
        Files.writeString(file, content);
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException notPosix) {
            // best effort on non-POSIX file systems
        }
    }
}
