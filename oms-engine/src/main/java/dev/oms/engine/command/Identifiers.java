package dev.oms.engine.command;

import java.util.regex.Pattern;

/**
 * What an account, a clientOrderId and a symbol may be, wherever a command comes from: the HTTP
 * API refuses the rest with 400, and the engine dead-letters a command any other Kafka client
 * wrote with them (a poison record). Held to one rule, an account written {@code "\ud800"} to the
 * topic can no longer be stored as {@code "?"}, the account of someone else.
 */
public final class Identifiers {
    public static final int MAX_ID_LENGTH = 64;
    private static final Pattern SYMBOL = Pattern.compile("[A-Za-z0-9._:/-]{1,32}");
    private static final String SYMBOL_RULE = "must be 1 to 32 letters, digits or . _ : / -";

    private Identifiers() {
    }

    /** Why {@code value} cannot be an account or a clientOrderId, or null when it can. */
    public static String idProblem(String value) {
        if (value.isBlank()) {
            return "must not be blank";
        }
        if (value.length() > MAX_ID_LENGTH) {
            return "must be at most " + MAX_ID_LENGTH + " characters";
        }
        // A loop, not chars().anyMatch: a stream here was a twentieth of a replay's time.
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isISOControl(c)) {
                return "must not contain control characters"; // U+0000 separates the parts of the state's keys
            }
            if (Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                // A lone surrogate (a JSON escape such as \ud800) has no UTF-8 form: stored, it came back as '?'.
                return "must not contain an unpaired surrogate (\\ud800-\\udfff)";
            }
        }
        return null;
    }

    /** Why {@code symbol} cannot be one, or null when it can. */
    public static String symbolProblem(String symbol) {
        return SYMBOL.matcher(symbol).matches() ? null : SYMBOL_RULE;
    }
}
