package xenaudit.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableScan;
import org.apache.iceberg.expressions.Expressions;
import org.apache.iceberg.hadoop.HadoopTables;
import org.apache.iceberg.io.CloseableIterable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import xenaudit.sample.CpuidProfiles.Model;
import xenaudit.sample.HostPolicies;
import xenaudit.sample.SampleFleet;
import xenaudit.transforms.AuditTables;

/**
 * {@code --tableFormat=iceberg} against the Parquet layout, on the same three runs (a date, a rerun
 * of it on a changed archive, the next date with pools, a target and drift from {@code auto}).
 * Iceberg's own reader of Hadoop-catalog tables ({@link HadoopTables}, none of xenaudit's code)
 * reads the metadata: the snapshots each run made, their record counts, and which files the current
 * snapshot has for each date; DuckDB reads those files and must find exactly the rows it finds in
 * the Parquet layout's partition of the date, for every table and date.
 */
class IcebergTablesTest {
  private static final String D1 = "2026-03-02";
  private static final String D2 = "2026-03-03";
  @TempDir static Path work;
  static Path parquet;
  static Path iceberg;
  static int objectsA;
  static int objectsA2;
  static int objectsB;

  @BeforeAll
  static void threeRunsEachWay() throws Exception {
    Path a = work.resolve("a");
    SampleFleet.generate(SampleFleet.Options.defaults(a).withGuests(16).withSeed(21).withMemory(4L << 20)
        .withCorrupt(true).withSecurityMix(true));
    Path b = work.resolve("b");
    SampleFleet.generate(SampleFleet.Options.defaults(b).withGuests(14).withSeed(22).withMemory(4L << 20)
        .withCorrupt(true).withSecurityMix(true));
    objectsA = images(a).size();
    // The rerun of the date sees a changed archive: a quarter of the images gone.
    Path a2 = work.resolve("a2");
    Files.createDirectories(a2);
    List<Path> kept = images(a);
    for (int i = 0; i < kept.size(); i++) {
      if (i % 4 != 0) {
        Files.copy(kept.get(i), a2.resolve(kept.get(i).getFileName()));
      }
    }
    objectsA2 = images(a2).size();
    objectsB = images(b).size();
    Path host = work.resolve("host.txt");
    Files.writeString(host, HostPolicies.dump(Model.INTEL_CASCADE_LAKE, true));
    parquet = work.resolve("parquet");
    iceberg = work.resolve("iceberg");
    for (Path out : List.of(parquet, iceberg)) {
      List<String> format = out == iceberg ? List.of("--tableFormat=iceberg") : List.of();
      run(a, out, "r1", D1, format);
      run(a2, out, "r2", D1, format);
      List<String> next = new ArrayList<>(format);
      next.addAll(List.of("--previousOutput=auto", "--poolKey=guest-00(\\d)", "--targetPolicy=" + host));
      run(b, out, "r3", D2, next);
    }
  }

  static List<Path> images(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(Files::isRegularFile).sorted().toList();
    }
  }

  static AuditSummary run(Path fleet, Path out, String runId, String date, List<String> extra) throws Exception {
    List<String> args = new ArrayList<>(List.of("--runner=DirectRunner", "--targetParallelism=2",
        "--input=" + fleet + "/*", "--output=" + out, "--auditRunId=" + runId, "--auditDate=" + date));
    args.addAll(extra);
    PipelineOptionsFactory.register(AuditOptions.class);
    return AuditPipeline.runAndWait(
        PipelineOptionsFactory.fromArgs(args.toArray(String[]::new)).withValidation().as(AuditOptions.class));
  }

  static Table table(String name) {
    return new HadoopTables().load(iceberg.resolve("xenaudit").resolve(name).toString());
  }

  /** The data files a scan of the table (current snapshot, or the one given) plans for the date. */
  static List<String> files(Table t, Long snapshotId, String date) throws Exception {
    TableScan scan = t.newScan().filter(Expressions.equal("audit_date", date));
    if (snapshotId != null) {
      scan = scan.useSnapshot(snapshotId);
    }
    List<String> files = new ArrayList<>();
    try (CloseableIterable<FileScanTask> tasks = scan.planFiles()) {
      for (FileScanTask task : tasks) {
        files.add(task.file().location());
      }
    }
    return files;
  }

  static List<Snapshot> snapshots(Table t) {
    List<Snapshot> all = new ArrayList<>();
    t.snapshots().forEach(all::add);
    return all;
  }

  static long records(Table t, String date) throws Exception {
    long n = 0;
    try (CloseableIterable<FileScanTask> tasks =
        t.newScan().filter(Expressions.equal("audit_date", date)).planFiles()) {
      for (FileScanTask task : tasks) {
        n += task.file().recordCount();
      }
    }
    return n;
  }

  @Test
  void everyRunIsOneSnapshotOfEveryTableItWrites() throws Exception {
    Table streams = table(AuditTables.STREAMS);
    List<String> runs = snapshots(streams).stream().map(s -> s.summary().get("xenaudit.audit-run-id")).toList();
    assertEquals(List.of("r1", "r2", "r3"), runs);
    for (Snapshot s : streams.snapshots()) {
      assertEquals("overwrite", s.operation(), "a date is replaced, never appended to");
    }
    Snapshot current = streams.currentSnapshot();
    assertEquals(String.valueOf(objectsA2 + objectsB), current.summary().get("total-records"),
        "one row per image of each date's last run: the rerun's rows replaced the first run's");
    assertEquals(objectsA2, records(streams, D1));
    assertEquals(objectsB, records(streams, D2));
    // Tables only the next date produces have one snapshot; the others one per run.
    assertEquals(1, snapshots(table(AuditTables.MIGRATION_CHECK)).size());
    assertEquals(1, snapshots(table(AuditTables.POLICY_DRIFT)).size());
    assertEquals(3, snapshots(table(AuditTables.GUEST_SECURITY)).size());
    // Columns: the Avro schema's, then the date; longs stay longs, docs are kept.
    org.apache.iceberg.Schema schema = streams.schema();
    assertEquals("audit_date", schema.columns().get(schema.columns().size() - 1).name());
    assertEquals(org.apache.iceberg.types.Type.TypeID.LONG, schema.findField("size_bytes").type().typeId());
    org.apache.avro.Schema avro = AuditTables.schema(AuditTables.STREAMS);
    assertNotNull(avro.getField("size_bytes").doc());
    assertEquals(avro.getField("size_bytes").doc(), schema.findField("size_bytes").doc());
    assertEquals(avro.getFields().size() + 1, schema.columns().size());
  }

  @Test
  void timeTravelReadsTheFirstRunOfTheDate() throws Exception {
    Table streams = table(AuditTables.STREAMS);
    Snapshot first = streams.snapshots().iterator().next();
    List<String> then = files(streams, first.snapshotId(), D1);
    List<String> now = files(streams, null, D1);
    assertFalse(then.isEmpty());
    assertTrue(then.stream().noneMatch(now::contains), "the rerun's files replaced the first run's");
    try (DuckDbTables db = new DuckDbTables(iceberg)) {
      assertEquals((long) objectsA, count(db, then), "the first run's rows, still readable");
      assertEquals((long) objectsA2, count(db, now));
      // The data folder holds both runs' files; only the snapshot says which are the date's.
      Path folder = iceberg.resolve("xenaudit/streams/data/audit_date=" + D1);
      assertEquals(then.size() + now.size(), images(folder).size());
    }
  }

  @Test
  void everyTableAndDateHoldsTheRowsOfTheParquetLayout() throws Exception {
    int compared = 0;
    try (DuckDbTables db = new DuckDbTables(parquet)) {
      for (String name : AuditTables.ALL) {
        Table t = table(name);
        for (String date : List.of(D1, D2)) {
          Path partition = parquet.resolve(name).resolve("audit_date=" + date);
          List<String> files = files(t, null, date);
          if (!Files.isDirectory(partition)) {
            assertEquals(List.of(), files, name + " " + date + ": a table the run does not produce has no files");
            continue;
          }
          List<String> want = db.sortedRows("read_parquet('" + partition.toAbsolutePath() + "/*.parquet')");
          List<String> got = files.isEmpty() ? List.of() : db.sortedRows(DuckDbTables.readFiles(files));
          assertEquals(want, got, name + " " + date);
          assertEquals(want.size(), records(t, date), name + " " + date + ": Iceberg's record count");
          compared += want.size();
        }
      }
    }
    assertTrue(compared > 10_000, "rows compared: " + compared);
  }

  @Test
  void driftFromAutoReadsTheSnapshotNotTheFolder() throws Exception {
    // D1's folder also holds r1's replaced files; drift must compare with r2's rows only.
    try (DuckDbTables db = new DuckDbTables(parquet)) {
      List<String> want = db.sortedRows("read_parquet('" + parquet.toAbsolutePath() + "/policy_drift/audit_date=" + D2 + "/*.parquet')");
      List<String> got = db.sortedRows(DuckDbTables.readFiles(files(table(AuditTables.POLICY_DRIFT), null, D2)));
      assertFalse(want.isEmpty());
      assertEquals(want, got);
    }
  }

  @Test
  void theReportOfEachWayCountsTheSame() throws Exception {
    String p = Files.readString(parquet.resolve("report/audit_date=" + D2 + "/index.html"));
    String i = Files.readString(iceberg.resolve("report/audit_date=" + D2 + "/index.html"));
    Map<String, String> pv = values(p);
    assertTrue(pv.size() > 100, "counts in the report: " + pv.size());
    assertEquals(pv, values(i));
    assertTrue(Files.exists(iceberg.resolve("report/latest.html")));
    assertTrue(Files.exists(iceberg.resolve("baselines/audit_date=" + D2)));
    assertFalse(Files.exists(iceberg.resolve(".xenaudit-temp")), "nothing staged is left");
  }

  private static Map<String, String> values(String html) {
    Map<String, String> m = new TreeMap<>();
    Matcher v = Pattern.compile("id=\"([^\"]+)\" data-value=\"([^\"]*)\"").matcher(html);
    while (v.find()) {
      m.put(v.group(1), v.group(2));
    }
    return m;
  }

  private static long count(DuckDbTables db, List<String> files) throws Exception {
    return (Long) db.query("SELECT count(*) AS n FROM " + DuckDbTables.readFiles(files)).get(0).get("n");
  }
}
