package xenaudit.transforms;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import java.util.Map;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.parquet.ParquetIO;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PDone;
import org.apache.beam.sdk.values.TupleTag;

/** Writes each table of {@link AuditImages}' result as Parquet under {@code <output>/<table>/}. */
public class WriteAuditTables extends PTransform<PCollectionTuple, PDone> {
  private static final Map<String, TupleTag<GenericRecord>> TAGS =
      Map.of(
          AuditTables.STREAMS, ParseImageFn.STREAMS_OUT,
          AuditTables.CPUID_POLICY, ParseImageFn.CPUID_OUT,
          AuditTables.MSR_POLICY, ParseImageFn.MSR_OUT,
          AuditTables.FINDINGS, ParseImageFn.FINDINGS_OUT);

  private final String output;
  private final int numShards;

  private WriteAuditTables(String output, int numShards) {
    this.output = output;
    this.numShards = numShards;
  }

  /** @param output a directory: local path or any Beam FileSystems URI (s3://bucket/prefix) */
  public static WriteAuditTables to(String output) {
    checkArgument(output != null && !output.isEmpty(), "an output directory is required");
    return new WriteAuditTables(output.endsWith("/") ? output.substring(0, output.length() - 1) : output, 0);
  }

  /**
   * Files per table; 0 (the default) lets the runner decide. The DirectRunner pays per bundle, and
   * its own sharding makes many: one shard per table there is several times faster.
   */
  public WriteAuditTables withNumShards(int n) {
    checkArgument(n >= 0, "numShards must be 0 or more, got %s", n);
    return new WriteAuditTables(output, n);
  }

  public static String tableDirectory(String output, String table) {
    return (output.endsWith("/") ? output : output + "/") + table + "/";
  }

  @Override
  public PDone expand(PCollectionTuple rows) {
    for (String table : AuditTables.ALL) {
      FileIO.Write<Void, GenericRecord> write =
          FileIO.<GenericRecord>write()
              .via(ParquetIO.sink(AuditTables.schema(table)))
              .to(tableDirectory(output, table))
              .withPrefix(table)
              .withSuffix(".parquet");
      rows.get(TAGS.get(table)).apply("Write_" + table, numShards > 0 ? write.withNumShards(numShards) : write);
    }
    return PDone.in(rows.getPipeline());
  }
}
