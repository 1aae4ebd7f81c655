package xenaudit.report;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.parquet.avro.AvroParquetReader;
import org.apache.parquet.avro.AvroReadSupport;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.io.InputFile;

/**
 * Streams the rows of one table's Parquet files, reading only the named columns (a projection of the
 * table's Avro schema, {@code /xenaudit/schemas/<table>.avsc} on the classpath): rows are handed on
 * one at a time and never held.
 */
final class ParquetTable {
  /** Receives each row. */
  @FunctionalInterface
  interface RowSink {
    void accept(GenericRecord row) throws IOException;
  }

  private final String table;
  private final List<InputFile> files;

  ParquetTable(String table, List<InputFile> files) {
    this.table = table;
    this.files = List.copyOf(files);
  }

  /** Every row of every file, in file order, with only {@code columns} read. */
  void forEach(List<String> columns, RowSink sink) throws IOException {
    Schema projection = projection(table, columns);
    for (InputFile file : files) {
      PlainParquetConfiguration conf = new PlainParquetConfiguration();
      conf.set(AvroReadSupport.AVRO_REQUESTED_PROJECTION, projection.toString());
      try (ParquetReader<GenericRecord> reader = AvroParquetReader.<GenericRecord>builder(file, conf)
          .withDataModel(GenericData.get())
          .build()) {
        for (GenericRecord row = reader.read(); row != null; row = reader.read()) {
          sink.accept(row);
        }
      } catch (RuntimeException e) {
        throw new IOException("reading table " + table + " (" + file + "): " + e.getMessage(), e);
      }
    }
  }

  static Schema projection(String table, List<String> columns) {
    Schema full = schema(table);
    List<Schema.Field> fields = new ArrayList<>(columns.size());
    for (String c : columns) {
      Schema.Field f = full.getField(c);
      if (f == null) {
        throw new IllegalArgumentException("table " + table + " has no column " + c);
      }
      fields.add(new Schema.Field(f, f.schema()));
    }
    return Schema.createRecord(full.getName(), full.getDoc(), full.getNamespace(), false, fields);
  }

  static Schema schema(String table) {
    String path = "/xenaudit/schemas/" + table + ".avsc";
    try (InputStream in = ParquetTable.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("schema " + path + " is not on the classpath (xenaudit-schemas jar)");
      }
      return new Schema.Parser().parse(in);
    } catch (IOException e) {
      throw new IllegalStateException("schema " + path + ": " + e.getMessage(), e);
    }
  }

  /** A value as a Java string (Avro hands strings as {@code Utf8}), null stays null. */
  static String string(GenericRecord row, String column) {
    Object v = row.get(column);
    return v == null ? null : v.toString();
  }

  /** A long column, null stays null. */
  static Long longValue(GenericRecord row, String column) {
    Object v = row.get(column);
    return v == null ? null : ((Number) v).longValue();
  }
}
