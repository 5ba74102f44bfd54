package io.bulwark.streams.app;

import io.bulwark.schemas.TopicSpec;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

/** Creates the registry's topics that do not exist yet; existing topics are left as they are. */
public final class TopicInstaller {

    private TopicInstaller() {}

    /** Returns the names of the topics it created. */
    public static List<String> createMissing(Admin admin, Collection<TopicSpec<?, ?>> specs, short replicationFactor)
            throws InterruptedException {
        try {
            Set<String> existing = admin.listTopics().names().get();
            List<NewTopic> missing = specs.stream()
                    .filter(spec -> !existing.contains(spec.name()))
                    .map(spec -> spec.newTopic(replicationFactor))
                    .toList();
            if (missing.isEmpty()) {
                return List.of();
            }
            try {
                admin.createTopics(missing).all().get();
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e; // a concurrent creator is fine; anything else is not
                }
            }
            return missing.stream().map(NewTopic::name).toList();
        } catch (ExecutionException e) {
            throw new IllegalStateException("Creating topics failed: " + e.getCause().getMessage(), e.getCause());
        }
    }
}
