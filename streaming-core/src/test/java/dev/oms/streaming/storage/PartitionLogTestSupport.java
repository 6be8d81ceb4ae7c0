package dev.oms.streaming.storage;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.Records;
import org.apache.kafka.common.record.internal.SimpleRecord;

/** Builds batches and reads them back as {@code "offset:value"} strings. */
public final class PartitionLogTestSupport {
    private PartitionLogTestSupport() {
    }

    public static MemoryRecords batch(String... values) {
        SimpleRecord[] records = new SimpleRecord[values.length];
        for (int i = 0; i < values.length; i++) {
            records[i] = new SimpleRecord(1_700_000_000_000L + i, "k".getBytes(StandardCharsets.UTF_8),
                    values[i].getBytes(StandardCharsets.UTF_8));
        }
        return MemoryRecords.withRecords(Compression.NONE, records);
    }

    public static List<String> values(Records records) {
        List<String> values = new ArrayList<>();
        for (RecordBatch batch : records.batches()) {
            for (Record record : batch) {
                values.add(record.offset() + ":" + StandardCharsets.UTF_8.decode(record.value()));
            }
        }
        return values;
    }
}
