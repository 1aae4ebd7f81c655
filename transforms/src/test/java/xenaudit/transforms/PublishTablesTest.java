package xenaudit.transforms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.KV;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Publishing moves every written file into its table's folder, replaces an earlier run's files,
 * gives a table of this run without rows an empty file, removes tables this run does not produce,
 * and leaves no temporary folder behind.
 */
class PublishTablesTest {
  @TempDir Path dir;

  @Test
  void movesFilesIntoPlaceAndReplacesTheEarlierRun() throws Exception {
    FileSystems.setDefaultPipelineOptions(PipelineOptionsFactory.create());
    Path out = dir.resolve("out");
    // An earlier run's files: a streams shard and a migration table this run does not produce.
    Files.createDirectories(out.resolve("streams"));
    Files.writeString(out.resolve("streams").resolve("streams-00000-of-00003.parquet"), "old");
    Files.createDirectories(out.resolve("migration_check"));
    Files.writeString(out.resolve("migration_check").resolve("migration_check-00000-of-00001.parquet"), "old");

    String temp = PublishTables.tempDirectory(out.toString(), "run/../1");
    assertEquals(out + "/.xenaudit-temp/run%2F..%2F1/", temp, "the run id is data, never a path");
    List<KV<String, String>> written = new ArrayList<>();
    for (int w = 0; w < 2; w++) {
      TableFiles files = new TableFiles(temp);
      GenericRecord row = files.row(AuditTables.STREAMS);
      for (String f : AuditTables.schema(AuditTables.STREAMS).getFields().stream().map(x -> x.name()).toList()) {
        row.put(f, f.endsWith("_count") || f.startsWith("bytes") || f.startsWith("page") || f.startsWith("record")
            ? 0L : f.equals("status") ? "valid" : f.equals("container") ? "xl" : f.equals("audit_run_id") ? "r"
            : f.equals("source_uri") || f.equals("guest_id") ? "s3://b/guest-" + w : null);
      }
      files.write(AuditTables.STREAMS, row);
      written.addAll(files.finish());
    }
    assertEquals(2, written.size());

    Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    p.apply(Create.of(written).withCoder(KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of())))
        .apply(PublishTables.to(out.toString(), temp, List.of(AuditTables.STREAMS, AuditTables.FINDINGS)));
    p.run().waitUntilFinish();

    assertEquals(List.of("streams-00000-of-00002.parquet", "streams-00001-of-00002.parquet"),
        names(out.resolve("streams")));
    assertEquals(2, ParquetRows.read(out.resolve("streams")).size());
    assertEquals(List.of("findings-00000-of-00001.parquet"), names(out.resolve("findings")));
    assertEquals(0, ParquetRows.read(out.resolve("findings")).size(), "no rows, but a file with the schema");
    assertEquals(List.of(), names(out.resolve("migration_check")), "not produced by this run: removed");
    assertFalse(Files.exists(out.resolve(".xenaudit-temp")), "no temporary folder left");
  }

  private static List<String> names(Path d) throws Exception {
    try (Stream<Path> s = Files.list(d)) {
      return s.map(x -> x.getFileName().toString()).sorted().toList();
    }
  }
}
