package xenaudit.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.hadoop.HadoopTables;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import xenaudit.sample.SampleFleet;
import xenaudit.transforms.AuditTables;

/**
 * {@code --tableFormat=iceberg}: a rerun of a date SIGKILLed at points spread over its life, the
 * commit included. After each kill Iceberg's own reader finds every table's current snapshot to be
 * one run's, complete: every listed file there, all rows that run's, as many as a finished run of
 * the same fleet leaves (for {@code streams}: one row per object, each once). The file-system
 * catalog commits table by table, so tables may be at different runs until the next run finishes
 * the journaled commit. The run after the kills does that, and in the end every data file of the
 * date is one some snapshot lists: a kill leaves no data file outside the tables.
 */
// Over two minutes of killed runs: .ci/run runs it on its own line (-Dxenaudit.slow=true), the default
// test run does not (KilledRunIT covers the Parquet layout there).
@org.junit.jupiter.api.condition.EnabledIfSystemProperty(named = "xenaudit.slow", matches = "true")
class IcebergKilledRunIT {
  private static final String DATE = "2026-06-01";
  @TempDir Path dir;

  @Test
  void aKilledRunLeavesEachTableAtACompleteSnapshot() throws Exception {
    Path fleet = dir.resolve("fleet");
    SampleFleet.generate(SampleFleet.Options.defaults(fleet).withGuests(60).withSeed(8).withMemory(4L << 20)
        .withCorrupt(true));
    Path out = dir.resolve("out");
    long start = System.nanoTime();
    run(fleet, out, "before", -1);
    long fullRunMillis = (System.nanoTime() - start) / 1_000_000;
    List<Observed> observed = new ArrayList<>(observe(out));
    Map<String, Long> whole = counts(observed);
    int before = IcebergTablesTest.images(fleet).size();
    List<Path> images = IcebergTablesTest.images(fleet);
    for (int i = 0; i < images.size(); i += 5) {
      Files.delete(images.get(i));
    }
    int after = images.size() - (images.size() + 4) / 5;
    Set<String> seen = new TreeSet<>();
    for (double at : new double[] {0.2, 0.5, 0.75, 0.85, 0.9, 0.95, 1.0, 1.05, 1.2}) {
      long killAfterMillis = (long) (at * fullRunMillis);
      String runId = "killed-" + killAfterMillis;
      run(fleet, out, runId, killAfterMillis);
      String current = check(out, runId, before, after);
      seen.add(current);
      observed.addAll(observe(out));
    }
    run(fleet, out, "after", -1);
    assertEquals("after", check(out, "after", before, after));
    List<Observed> last = observe(out);
    Map<String, Long> reduced = counts(last);
    assertTrue(last.stream().allMatch(o -> o.run.equals("after")), "the last run committed every table: " + last);
    // Each table after each kill: a finished run's count of its rows, the first fleet's or the reduced one's.
    for (Observed o : observed) {
      long want = (o.run.equals("before") ? whole : reduced).get(o.table);
      assertEquals(want, o.rows, o + ": complete");
    }
    assertTrue(observed.size() >= 10 * AuditTables.ALWAYS.size(), "observations: " + observed.size());
    // Every data file of the date is listed by some snapshot of its table.
    for (String name : AuditTables.ALWAYS) {
      Table t = table(out, name);
      Set<String> listed = new HashSet<>();
      for (Snapshot s : t.snapshots()) {
        listed.addAll(IcebergTablesTest.files(t, s.snapshotId(), DATE));
      }
      Path folder = out.resolve("xenaudit").resolve(name).resolve("data/audit_date=" + DATE);
      try (Stream<Path> s = Files.list(folder)) {
        for (Path f : (Iterable<Path>) s::iterator) {
          assertTrue(listed.contains(f.toString()), name + ": " + f + " is in no snapshot");
        }
      }
    }
    System.out.println("IcebergKilledRunIT: a full run " + fullRunMillis + " ms; current runs after the kills: " + seen);
  }

  /** A table's current snapshot after a run or a kill: whose it is, and its rows of the date. */
  record Observed(String table, String run, long rows) {}

  /** Every table's current snapshot: one run's files only, all of them, every listed file there. */
  private static List<Observed> observe(Path out) throws Exception {
    List<Observed> all = new ArrayList<>();
    try (DuckDbTables db = new DuckDbTables(out)) {
      for (String name : AuditTables.ALWAYS) {
        Table t = table(out, name);
        String run = t.currentSnapshot().summary().get("xenaudit.audit-run-id");
        List<String> files = IcebergTablesTest.files(t, null, DATE);
        // The run's files, all of them: <table>-<run>-NNNNN-of-MMMMM.parquet (these run ids need no escaping).
        java.util.regex.Pattern part = java.util.regex.Pattern.compile(
            java.util.regex.Pattern.quote(name + "-" + run + "-") + "\\d{5}-of-(\\d{5})\\.parquet");
        for (String f : files) {
          assertTrue(Files.exists(Path.of(f)), name + ": a listed file exists: " + f);
          var m = part.matcher(Path.of(f).getFileName().toString());
          assertTrue(m.matches(), name + ": a file of " + run + ": " + f);
          assertEquals(files.size(), Integer.parseInt(m.group(1)), name + ": every part of " + run + " listed");
        }
        long rows = 0;
        if (!files.isEmpty()) {
          rows = (Long) db.query("SELECT count(*) AS n FROM " + DuckDbTables.readFiles(files)).get(0).get("n");
        }
        all.add(new Observed(name, run, rows));
      }
    }
    return all;
  }

  private static Map<String, Long> counts(List<Observed> observed) {
    Map<String, Long> m = new TreeMap<>();
    observed.forEach(o -> m.put(o.table, o.rows));
    return m;
  }

  private static Table table(Path out, String name) {
    return new HadoopTables().load(out.resolve("xenaudit").resolve(name).toString());
  }

  /** Every table's current snapshot is the previous run's or this one's, complete; returns streams'. */
  private static String check(Path out, String runId, int before, int after) throws Exception {
    Table streams = table(out, AuditTables.STREAMS);
    String current = streams.currentSnapshot().summary().get("xenaudit.audit-run-id");
    assertTrue(current.equals("before") || current.equals(runId) || current.startsWith("killed-"),
        "streams is at a run's snapshot: " + current);
    List<String> files = IcebergTablesTest.files(streams, null, DATE);
    List<String> quoted = new ArrayList<>();
    for (String f : files) {
      assertTrue(Files.exists(Path.of(f)), "a listed file exists: " + f);
      quoted.add("'" + f + "'");
    }
    try (DuckDbTables db = new DuckDbTables(out)) {
      var r = db.query("SELECT count(*) AS n, count(DISTINCT source_uri) AS d, min(audit_run_id) AS lo, "
          + "max(audit_run_id) AS hi FROM read_parquet([" + String.join(",", quoted) + "])").get(0);
      long n = (Long) r.get("n");
      assertEquals(n, r.get("d"), "each object once");
      assertEquals(r.get("lo"), r.get("hi"), "one run's rows");
      assertEquals(current, r.get("lo"), "the rows are the snapshot's run's");
      assertEquals(current.equals("before") ? before : after, n, "complete: " + current);
    }
    return current;
  }

  private void run(Path fleet, Path out, String runId, long killAfterMillis) throws Exception {
    AuditProcess.runOrKill(dir, runId, List.of("--input=" + fleet + "/*", "--output=" + out, "--auditDate=" + DATE, "--tableFormat=iceberg"),
        killAfterMillis);
  }

}
