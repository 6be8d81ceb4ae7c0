package dev.oms.api;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the tests find the real programs they run: tools/bin (built by tools/build), then the PATH. */
public final class Tools {
    private Tools() {
    }

    /** The program {@code name}; {@code install} says how to get it when it is missing. */
    public static String binary(String name, String install) {
        Path built = Path.of("..", "tools", "bin", name);
        if (Files.isExecutable(built)) {
            return built.toAbsolutePath().toString();
        }
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, name))) {
                return Path.of(dir, name).toString();
            }
        }
        throw new IllegalStateException(name + " is needed for this test: " + install + " (.ci/run does it)");
    }
}
