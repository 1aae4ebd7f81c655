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
 * Publishing puts every written file into its table's partition of the audit date, replaces an
 * earlier run's files of that date and nothing else, gives a table of this run without rows an
 * empty file, removes that date's partition of tables this run does not produce, leaves no
 * temporary folder behind, and a publish killed half-way is finished by the next run.
 */
class PublishTablesTest {
  private static final String DATE = "2026-02-03";
  @TempDir Path dir;

  @Test
  void movesFilesIntoTheDatePartitionAndReplacesOnlyThatDate() throws Exception {
    FileSystems.setDefaultPipelineOptions(PipelineOptionsFactory.create());
    Path out = dir.resolve("out");
    // An earlier run of this date: a streams shard, and a migration table this run does not produce;
    // and the day before, which must stay as it is.
    Path streams = partition(out, "streams", DATE);
    Files.createDirectories(streams);
    Files.writeString(streams.resolve("streams-old-00000-of-00003.parquet"), "old");
    Path migration = partition(out, "migration_check", DATE);
    Files.createDirectories(migration);
    Files.writeString(migration.resolve("migration_check-old-00000-of-00001.parquet"), "old");
    Path dayBefore = partition(out, "migration_check", "2026-02-02");
    Files.createDirectories(dayBefore);
    Files.writeString(dayBefore.resolve("migration_check-older-00000-of-00001.parquet"), "older");

    String temp = PublishTables.tempDirectory(out.toString(), "run/../1");
    assertEquals(out + "/.xenaudit-temp/run%2F..%2F1/", temp, "the run id is data, never a path");
    List<KV<String, String>> written = writeStreams(temp, 2);

    Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    p.apply(Create.of(written).withCoder(KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of())))
        .apply(PublishTables.to(out.toString(), temp, DATE, "r1", List.of(AuditTables.STREAMS, AuditTables.FINDINGS)));
    p.run().waitUntilFinish();

    assertEquals(List.of("streams-r1-00000-of-00002.parquet", "streams-r1-00001-of-00002.parquet"), names(streams));
    assertEquals(2, ParquetRows.read(streams).size());
    Path findings = partition(out, "findings", DATE);
    assertEquals(List.of("findings-r1-00000-of-00001.parquet"), names(findings));
    assertEquals(0, ParquetRows.read(findings).size(), "no rows, but a file with the schema");
    assertFalse(Files.exists(migration), "not produced by this run: that date's partition removed");
    assertEquals("older", Files.readString(dayBefore.resolve("migration_check-older-00000-of-00001.parquet")),
        "another date is left as it was");
    assertFalse(Files.exists(out.resolve(".xenaudit-temp")), "no temporary folder left");
  }

  @Test
  void aPublishKilledBetweenItsRenamesIsFinishedByTheNextRun() throws Exception {
    FileSystems.setDefaultPipelineOptions(PipelineOptionsFactory.create());
    Path out = dir.resolve("out");
    Path live = partition(out, "streams", DATE);
    Files.createDirectories(live);
    Files.writeString(live.resolve("streams-old-00000-of-00001.parquet"), "old");
    Path findings = partition(out, "findings", DATE);
    Files.createDirectories(findings);
    Files.writeString(findings.resolve("findings-old-00000-of-00001.parquet"), "old");
    // The state a run killed inside LocalPartitions.finish leaves: staged partitions and the journal
    // written, streams' old partition already renamed away, its new one not yet renamed in.
    Path run = Path.of(PublishTables.tempDirectory(out.toString(), "killed"));
    Path staged = run.resolve("publish");
    Files.createDirectories(staged.resolve("streams"));
    Files.writeString(staged.resolve("streams").resolve("streams-killed-00000-of-00001.parquet"), "new");
    Files.createDirectories(staged.resolve("findings"));
    Files.writeString(staged.resolve("findings").resolve("findings-killed-00000-of-00001.parquet"), "new");
    List<String> journal = new ArrayList<>(List.of("date " + DATE));
    for (String f : AuditTables.FOLDERS) {
      journal.add((f.equals("streams") || f.equals("findings") ? "publish " : "remove ") + f);
    }
    Files.write(run.resolve(LocalPartitions.JOURNAL), journal);
    Files.createDirectories(run.resolve("replaced"));
    Files.move(live, run.resolve("replaced").resolve("streams"));
    // And a run still writing (no journal): not ours to touch.
    Path other = Path.of(PublishTables.tempDirectory(out.toString(), "running"));
    Files.createDirectories(other.resolve("streams"));

    assertEquals(1, PublishTables.recoverInterrupted(out.toString()));

    assertEquals(List.of("streams-killed-00000-of-00001.parquet"), names(live));
    assertEquals(List.of("findings-killed-00000-of-00001.parquet"), names(findings));
    assertFalse(Files.exists(run), "the finished run's folder is removed");
    assertTrue(Files.isDirectory(other.resolve("streams")), "a run without a journal is left alone");
    assertEquals(0, PublishTables.recoverInterrupted(out.toString()), "nothing left to finish");
  }

  private static List<KV<String, String>> writeStreams(String temp, int files) throws Exception {
    List<KV<String, String>> written = new ArrayList<>();
    for (int w = 0; w < files; w++) {
      TableFiles tf = new TableFiles(temp);
      GenericRecord row = tf.row(AuditTables.STREAMS);
      for (String f : AuditTables.schema(AuditTables.STREAMS).getFields().stream().map(x -> x.name()).toList()) {
        row.put(f, f.endsWith("_count") || f.startsWith("bytes") || f.startsWith("page") || f.startsWith("record")
            ? 0L : f.equals("status") ? "valid" : f.equals("container") ? "xl" : f.equals("audit_run_id") ? "r"
            : f.equals("source_uri") || f.equals("guest_id") ? "s3://b/guest-" + w : null);
      }
      tf.write(AuditTables.STREAMS, row);
      written.addAll(tf.finish());
    }
    assertEquals(files, written.size());
    return written;
  }

  private static Path partition(Path out, String table, String date) {
    return out.resolve(table).resolve("audit_date=" + date);
  }

  private static List<String> names(Path d) throws Exception {
    try (Stream<Path> s = Files.list(d)) {
      return s.map(x -> x.getFileName().toString()).sorted().toList();
    }
  }
}
