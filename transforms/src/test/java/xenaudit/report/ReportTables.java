package xenaudit.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.parquet.avro.AvroParquetWriter;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.io.InputFile;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.LocalOutputFile;
import xenaudit.transforms.AuditTables;

/**
 * Rows of audit tables built by a test, written as Parquet files with parquet-avro (the tables'
 * own schemas), several files per table. A column a row leaves out is null when nullable, else
 * "" / 0 / false.
 */
final class ReportTables {
  private final Map<String, List<Map<String, Object>>> rows = new LinkedHashMap<>();

  /** Declares a table as produced (even with no rows). */
  ReportTables table(String table) {
    rows.computeIfAbsent(table, t -> new ArrayList<>());
    return this;
  }

  ReportTables add(String table, Map<String, Object> row) {
    table(table);
    rows.get(table).add(row);
    return this;
  }

  List<Map<String, Object>> rows(String table) {
    return rows.getOrDefault(table, List.of());
  }

  /**
   * Writes each table as {@code files} Parquet files under {@code dir/<table>/} (rows dealt out in
   * turn) and returns the map {@link ComplianceReport#write} takes; {@code reversed} lists each
   * table's files in the opposite order.
   */
  Map<String, List<InputFile>> write(Path dir, int files, boolean reversed) throws IOException {
    Map<String, List<InputFile>> out = new LinkedHashMap<>();
    for (Map.Entry<String, List<Map<String, Object>>> t : rows.entrySet()) {
      Schema schema = AuditTables.schema(t.getKey());
      Path tableDir = Files.createDirectories(dir.resolve(t.getKey()));
      List<InputFile> inputs = new ArrayList<>();
      for (int f = 0; f < files; f++) {
        Path file = tableDir.resolve("part-" + f + ".parquet");
        Files.deleteIfExists(file);
        try (ParquetWriter<GenericRecord> w = AvroParquetWriter.<GenericRecord>builder(new LocalOutputFile(file))
            .withSchema(schema)
            .withConf(new PlainParquetConfiguration())
            .build()) {
          List<Map<String, Object>> all = t.getValue();
          for (int i = f; i < all.size(); i += files) {
            w.write(record(schema, all.get(i)));
          }
        }
        inputs.add(new LocalInputFile(file));
      }
      if (reversed) {
        java.util.Collections.reverse(inputs);
      }
      out.put(t.getKey(), inputs);
    }
    return out;
  }

  private static GenericRecord record(Schema schema, Map<String, Object> values) {
    for (String k : values.keySet()) {
      if (schema.getField(k) == null) {
        throw new IllegalArgumentException(schema.getName() + " has no field " + k);
      }
    }
    GenericRecord r = new GenericData.Record(schema);
    for (Schema.Field f : schema.getFields()) {
      Object v = values.get(f.name());
      if (v == null && f.schema().getType() != Schema.Type.UNION) {
        v = switch (f.schema().getType()) {
          case STRING -> "";
          case LONG -> 0L;
          case INT -> 0;
          case BOOLEAN -> false;
          default -> throw new IllegalArgumentException("no default for " + f.name());
        };
      }
      r.put(f.name(), v);
    }
    return r;
  }
}
