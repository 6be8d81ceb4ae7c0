package dev.oms.api.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

/** Rows with named columns, printed as an aligned table for people or as JSON for scripts. */
final class Table {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final List<String> columns;
    private final List<List<Object>> rows = new ArrayList<>();

    Table(String... columns) {
        this.columns = List.of(columns);
    }

    Table row(Object... values) {
        rows.add(java.util.Arrays.asList(values));
        return this;
    }

    void print(PrintStream out, boolean json) throws Exception {
        if (json) {
            List<Map<String, Object>> objects = new ArrayList<>();
            for (List<Object> row : rows) {
                Map<String, Object> object = new LinkedHashMap<>();
                for (int i = 0; i < columns.size(); i++) {
                    object.put(columns.get(i), jsonValue(row.get(i)));
                }
                objects.add(object);
            }
            out.println(JSON.writeValueAsString(objects));
            return;
        }
        int[] widths = new int[columns.size()];
        for (int i = 0; i < widths.length; i++) {
            widths[i] = columns.get(i).length();
            for (List<Object> row : rows) {
                widths[i] = Math.max(widths[i], cell(row.get(i)).length());
            }
        }
        out.println(line(columns.stream().map(c -> (Object) c.toUpperCase(java.util.Locale.ROOT)).toList(), widths));
        for (List<Object> row : rows) {
            out.println(line(row, widths));
        }
    }

    /** JSON's own types as they are; anything else (a topic id) as the text the table shows. */
    private static Object jsonValue(Object value) {
        return value == null || value instanceof Number || value instanceof Boolean || value instanceof CharSequence
                || value instanceof java.util.Collection || value instanceof Map ? value : String.valueOf(value);
    }

    /** A cell's text on one line: a value with line breaks (an error message) would break the table. */
    private static String cell(Object value) {
        return String.valueOf(value).replaceAll("\\s*[\\r\\n]+\\s*", " ");
    }

    private static String line(List<Object> values, int[] widths) {
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < values.size(); i++) {
            String value = cell(values.get(i));
            line.append(value);
            if (i < values.size() - 1) {
                line.append(" ".repeat(widths[i] - value.length() + 2));
            }
        }
        return line.toString();
    }
}
