package dev.oms.api.cli;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Words and {@code --options} of a command line; an option takes a value unless it is a known flag. */
final class Args {
    private static final Set<String> FLAGS = Set.of("json", "from-beginning", "execute", "to-earliest", "to-latest", "help", "all");

    private final List<String> words = new ArrayList<>();
    private final Map<String, List<String>> options = new HashMap<>();

    static Args parse(String[] args) {
        Args parsed = new Args();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--")) {
                parsed.words.add(arg);
                continue;
            }
            String name = arg.substring(2);
            String value = "true";
            int eq = name.indexOf('=');
            if (eq > 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            } else if (!FLAGS.contains(name)) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("--" + name + " needs a value");
                }
                value = args[++i];
            }
            parsed.options.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
        }
        return parsed;
    }

    List<String> words() {
        return words;
    }

    String word(int index) {
        return index < words.size() ? words.get(index) : "";
    }

    String required(int index, String what) {
        if (index >= words.size()) {
            throw new IllegalArgumentException("missing " + what);
        }
        return words.get(index);
    }

    Optional<String> option(String name) {
        List<String> values = options.get(name);
        return values == null ? Optional.empty() : Optional.of(values.getLast());
    }

    List<String> options(String name) {
        return options.getOrDefault(name, List.of());
    }

    boolean flag(String name) {
        return options.containsKey(name);
    }
}
