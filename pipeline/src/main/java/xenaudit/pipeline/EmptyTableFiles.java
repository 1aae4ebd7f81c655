package xenaudit.pipeline;

import java.io.IOException;
import java.nio.channels.WritableByteChannel;
import java.util.List;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.io.parquet.ParquetIO;
import org.apache.beam.sdk.util.MimeTypes;
import xenaudit.transforms.AuditTables;
import xenaudit.transforms.WriteAuditTables;

/**
 * After the job: a table with no rows (say, msr_policy of a fleet of v2 images) gets one empty
 * Parquet file with its schema, so {@code read_parquet('<output>/<table>/*.parquet')} works and
 * shows the columns instead of failing on "no files".
 */
final class EmptyTableFiles {
  private EmptyTableFiles() {}

  static void ensure(String output) throws IOException {
    for (String table : AuditTables.ALL) {
      String dir = WriteAuditTables.tableDirectory(output, table);
      List<MatchResult> m = FileSystems.match(List.of(dir + "*.parquet"), EmptyMatchTreatment.ALLOW);
      if (m.get(0).status() == MatchResult.Status.OK && !m.get(0).metadata().isEmpty()) {
        continue;
      }
      ResourceId file = FileSystems.matchNewResource(dir + table + "-empty.parquet", false);
      ParquetIO.Sink sink = ParquetIO.sink(AuditTables.schema(table));
      WritableByteChannel ch = FileSystems.create(file, MimeTypes.BINARY);
      try {
        sink.open(ch);
      } catch (IOException | RuntimeException e) {
        ch.close();
        throw e;
      }
      // Closing the Parquet writer closes the channel; closing an S3 upload twice fails.
      sink.flush();
    }
  }
}
