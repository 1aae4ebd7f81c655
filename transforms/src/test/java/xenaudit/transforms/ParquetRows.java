package xenaudit.transforms;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.avro.generic.GenericRecord;
import org.apache.parquet.avro.AvroParquetReader;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.io.LocalInputFile;

/** Every row of every Parquet file under a table folder (all its date partitions), read with parquet-avro (no Beam). */
final class ParquetRows {
  private ParquetRows() {}

  static List<GenericRecord> read(Path tableDir) throws IOException {
    List<GenericRecord> rows = new ArrayList<>();
    List<Path> files;
    try (Stream<Path> s = Files.walk(tableDir)) {
      files = s.filter(f -> f.toString().endsWith(".parquet")).sorted().toList();
    }
    for (Path f : files) {
      try (ParquetReader<GenericRecord> r =
          AvroParquetReader.<GenericRecord>builder(new LocalInputFile(f), new PlainParquetConfiguration()).build()) {
        for (GenericRecord row = r.read(); row != null; row = r.read()) {
          rows.add(row);
        }
      }
    }
    return rows;
  }
}
