package dev.oms.api.config;

/** The configuration cannot be used; the message says which key or flag and why. */
public final class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }
}
