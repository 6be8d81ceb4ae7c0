package dev.oms.api;

import java.nio.file.Path;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** Base of test classes whose tests share one in-process oms, started before the first and stopped after the last. */
public abstract class OneOmsPerClass {
    @TempDir
    protected static Path omsDir;
    protected static Oms oms;
    protected static Http http;

    @BeforeAll
    static void startOms() throws Exception {
        oms = TestOms.start(omsDir);
        http = new Http(oms.httpPort());
    }

    @AfterAll
    static void stopOms() {
        oms.close();
    }
}
