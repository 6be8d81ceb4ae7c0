package dev.oms.streaming.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;

import dev.oms.streaming.EmbeddedBroker;
import dev.oms.streaming.storage.Directories;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node without Raft storage joins a cluster whose nodes have never seen it; one they know as a
 * node that ran before has lost its votes and acknowledged entries, and is refused unless it is
 * started as the replacement of lost storage.
 */
class LostStorageTest {
    @TempDir
    Path dir;
    private InProcessCluster cluster;

    @AfterEach
    void close() {
        cluster.close();
    }

    @Test
    void aNodeNewToTheClusterStartsEmptyAndOneThatLostItsStorageIsRefusedUnlessItReplacesIt() throws Exception {
        cluster = new InProcessCluster(dir);
        EmbeddedBroker first = cluster.open(1);
        EmbeddedBroker second = cluster.open(2);
        first.cluster().orElseThrow().register("127.0.0.1", 9091, 0); // once two run: it waits for the controller
        second.cluster().orElseThrow().register("127.0.0.1", 9092, 0);
        // Node 3 starts for the first time after the others registered: nothing of it to lose.
        EmbeddedBroker third = cluster.open(3);
        third.cluster().orElseThrow().register("127.0.0.1", 9093, 0);

        third.close();
        Directories.delete(cluster.home(3));
        assertThatThrownBy(() -> cluster.open(3)).hasStackTraceContaining("node 3 has no Raft storage, but node ")
                .hasStackTraceContaining(" knows it as a node that ran before");
        EmbeddedBroker replacement = cluster.openReplacingLostStorage(3);
        assertThat(replacement.cluster()).isPresent();

        // Its own storage again: started as any node is.
        replacement.close();
        assertThat(cluster.open(3).cluster()).isPresent();
    }
}
