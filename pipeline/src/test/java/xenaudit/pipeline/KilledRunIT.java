package xenaudit.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import xenaudit.sample.SampleFleet;
import xenaudit.transforms.AuditTables;

/**
 * Rerunning a date and killing the run (SIGKILL) at points spread over its life (fractions of a full
 * run's time, so some land before the publish and some after): after each kill,
 * every partition of that date holds the files of exactly one run, and readers get either the
 * previous complete data or the new complete data, never a mix and never a part; the run after
 * the kills writes the new fleet, one copy of each row, every object counted once.
 */
class KilledRunIT {
  private static final String DATE = "2026-06-01";
  @TempDir Path dir;

  @Test
  void aKilledRunLeavesReadersTheLastCompleteData() throws Exception {
    Path fleet = dir.resolve("fleet");
    SampleFleet.generate(SampleFleet.Options.defaults(fleet).withGuests(60).withSeed(8).withMemory(4L << 20)
        .withCorrupt(true));
    Path out = dir.resolve("out");
    long start = System.nanoTime();
    run(fleet, out, "before", -1);
    long fullRunMillis = (System.nanoTime() - start) / 1_000_000;
    Set<String> before = streams(out);

    // The next run of the date sees a changed archive: some images gone.
    List<Path> images;
    try (Stream<Path> s = Files.list(fleet)) {
      images = s.filter(Files::isRegularFile).sorted().toList();
    }
    for (int i = 0; i < images.size(); i += 5) {
      Files.delete(images.get(i));
    }
    int objects = images.size() - (images.size() + 4) / 5;
    Set<String> seenAfterKills = new TreeSet<>();
    // Kills spread over a whole run's time: start-up, listing, parsing, publishing, and past it.
    for (double at : new double[] {0.1, 0.3, 0.5, 0.7, 0.85, 0.95, 1.05, 1.3}) {
      long killAfterMillis = (long) (at * fullRunMillis);
      run(fleet, out, "killed-" + killAfterMillis, killAfterMillis);
      Set<String> runs = runsOfDate(out);
      assertEquals(1, runs.size(), "one run's files per date, after a kill at " + killAfterMillis + " ms: " + runs);
      Set<String> now = streams(out);
      String run = runs.iterator().next();
      if (run.equals("before")) {
        assertEquals(before, now, "the previous data, intact");
      } else {
        assertEquals(objects, now.size(), "the new data, complete (" + run + ")");
      }
      seenAfterKills.add(run);
    }
    run(fleet, out, "after", -1);
    assertEquals(Set.of("after"), runsOfDate(out));
    Set<String> after = streams(out);
    assertEquals(objects, after.size(), "every object once");
    try (DuckDbTables db = new DuckDbTables(out, DATE)) {
      assertEquals((long) objects, db.query("SELECT count(DISTINCT source_uri) AS n FROM read_parquet('"
          + db.glob(AuditTables.STREAMS) + "')").get(0).get("n"));
    }
    System.out.println("KilledRunIT: a full run " + fullRunMillis + " ms; runs visible after the kills: " + seenAfterKills);
  }

  /** The audit in a JVM of its own; killed (SIGKILL) after {@code killAfterMillis}, or run to the end. */
  private void run(Path fleet, Path out, String runId, long killAfterMillis) throws Exception {
    AuditProcess.runOrKill(dir, runId, List.of("--input=" + fleet + "/*", "--output=" + out, "--auditDate=" + DATE),
        killAfterMillis);
  }


  /** source_uri and status of every streams row of the date. */
  private static Set<String> streams(Path out) throws Exception {
    Set<String> rows = new TreeSet<>();
    List<Map<String, Object>> all;
    try (DuckDbTables db = new DuckDbTables(out, DATE)) {
      all = db.rows(AuditTables.STREAMS, "");
    }
    for (Map<String, Object> r : all) {
      assertTrue(rows.add(r.get("source_uri") + " " + r.get("status")), "a row twice: " + r);
    }
    return rows;
  }

  /** The run ids in the file names of every table partition of the date. */
  private static Set<String> runsOfDate(Path out) throws Exception {
    Set<String> runs = new TreeSet<>();
    for (String table : AuditTables.ALWAYS) {
      Path partition = out.resolve(table).resolve("audit_date=" + DATE);
      try (Stream<Path> s = Files.list(partition)) {
        for (Path f : (Iterable<Path>) s::iterator) {
          String name = f.getFileName().toString();
          String rest = name.substring(table.length() + 1);
          runs.add(rest.substring(0, rest.lastIndexOf('-', rest.lastIndexOf("-of-") - 1)));
        }
      }
    }
    return runs;
  }
}
