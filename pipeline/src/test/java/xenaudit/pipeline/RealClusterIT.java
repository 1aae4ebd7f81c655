package xenaudit.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import xenaudit.sample.CpuidProfiles.Model;
import xenaudit.sample.HostPolicies;
import xenaudit.sample.SampleFleet;
import xenaudit.transforms.AuditTables;

/**
 * Real multi-process clusters on loopback, started with {@code scripts/cluster start flink|spark}
 * (a JobManager and two TaskManagers; a Master and two Workers), and the audit submitted to each
 * with the {@code scripts/audit} line the start prints: a hidden-style fleet (every corruption
 * class, the security mix, pools, a target policy, a previous output) gives every table equal row
 * for row to the DirectRunner's. Then the same date again with one TaskManager or Worker SIGKILLed
 * once the job has written its first file: the engine retries and every row is there exactly once,
 * or the run fails with one clear line and the date's partitions are left as they were.
 *
 * <p>Runs only the scripts, as child processes; the runner jars are built by {@code scripts/audit}
 * on first use (up front here, so the build is not timed as an audit).
 */
// Minutes of clusters starting and jars uploading: .ci/run runs it on its own line (-Dxenaudit.slow=true),
// the default test run does not.
@org.junit.jupiter.api.condition.EnabledIfSystemProperty(named = "xenaudit.slow", matches = "true")
class RealClusterIT {
  private static final String DATE = "2026-12-01";
  @TempDir static Path work;
  static Path fleet;
  static Path host;
  static Path previous;
  static Path direct;
  static long directMillis;
  private static final List<RealClusterScripts.Cluster> started = new ArrayList<>();

  @BeforeAll
  static void fleetAndDirectRun() throws Exception {
    fleet = work.resolve("fleet");
    SampleFleet.generate(SampleFleet.Options.defaults(fleet).withGuests(24).withSeed(16).withMemory(4L << 20)
        .withCorrupt(true).withSecurityMix(true));
    host = work.resolve("host.txt");
    Files.writeString(host, HostPolicies.dump(Model.INTEL_CASCADE_LAKE, true));
    Path older = work.resolve("older");
    SampleFleet.generate(SampleFleet.Options.defaults(older).withGuests(20).withSeed(16).withMemory(4L << 20)
        .withSecurityMix(true));
    previous = work.resolve("previous");
    RealClusterScripts.Result r = RealClusterScripts.run(work, "previous", List.of("scripts/audit",
        "--input=" + older + "/*", "--output=" + previous, "--auditDate=2026-11-30"), 180);
    assertEquals(0, r.exit(), r.output());
    direct = work.resolve("direct");
    long t = System.nanoTime();
    r = RealClusterScripts.run(work, "direct", audit(List.of("scripts/audit"), direct, "same"), 180);
    directMillis = (System.nanoTime() - t) / 1_000_000;
    assertEquals(0, r.exit(), r.output());
    // The runner jars, built now if sources changed (scripts/audit's own check), not inside a timed run.
    for (String runner : List.of("FlinkRunner", "SparkRunner")) {
      r = RealClusterScripts.run(work, "build-" + runner,
          List.of("scripts/audit", "--runner=" + runner, "--help=xenaudit.pipeline.AuditOptions"), 600);
      assertEquals(0, r.exit(), r.output());
    }
  }

  @AfterAll
  static void stopClusters() throws Exception {
    for (RealClusterScripts.Cluster c : started) {
      c.stop();
    }
  }

  /** The audit's options after the submit line's own: the same for every runner. */
  static List<String> audit(List<String> submit, Path out, String runId) {
    List<String> args = new ArrayList<>(submit);
    args.addAll(List.of("--input=" + fleet + "/*", "--output=" + out, "--auditRunId=" + runId,
        "--auditDate=" + DATE, "--poolKey=guest-00(\\d)", "--targetPolicy=" + host, "--previousOutput=" + previous));
    return args;
  }

  @Test
  void flinkClusterGivesTheDirectRunnersRowsAndLosesNoneToAKilledTaskManager() throws Exception {
    onCluster("flink", "taskmanager-1");
  }

  @Test
  void sparkClusterGivesTheDirectRunnersRowsAndLosesNoneToAKilledWorker() throws Exception {
    onCluster("spark", "worker-1");
  }

  private static void onCluster(String engine, String victim) throws Exception {
    RealClusterScripts.Cluster cluster = RealClusterScripts.Cluster.start(work, engine);
    started.add(cluster);
    try {
      List<String> submit = cluster.submitLine();
      // As printed: the runner and its master; DIR and OUT are filled in by audit().
      assertTrue(submit.get(0).equals("scripts/audit") && submit.stream().anyMatch(a -> a.startsWith("--runner=")),
          submit.toString());
      List<String> runner = submit.stream().filter(a -> !a.startsWith("--input=") && !a.startsWith("--output=")).toList();

      Path out = work.resolve(engine);
      long t = System.nanoTime();
      RealClusterScripts.Result r = RealClusterScripts.run(work, engine, audit(runner, out, "same"), 300);
      long clusterMillis = (System.nanoTime() - t) / 1_000_000;
      assertEquals(0, r.exit(), r.output());
      assertTrue(r.output().contains(" images audited in "), r.output());
      sameTables(direct, out, engine + " cluster");

      // The same date again, a worker SIGKILLed once the job has written its first table file.
      SortedMap<String, String> before = RealClusterScripts.partitions(out, DATE);
      Path staging = out.resolve(".xenaudit-temp").resolve("killed");
      t = System.nanoTime();
      RealClusterScripts.Running run = RealClusterScripts.start(work, engine + "-killed", audit(runner, out, "killed"));
      boolean killed = false;
      while (run.alive() && !killed) {
        if (RealClusterScripts.anyFile(staging)) {
          cluster.kill(victim);
          killed = true;
        }
        Thread.sleep(50);
      }
      r = run.waitFor(300);
      long killedMillis = (System.nanoTime() - t) / 1_000_000;
      assertTrue(killed, engine + ": the run ended before any file was written, nothing was killed:\n" + r.output());
      if (r.exit() == 0) {
        assertEquals(Set.of("killed"), runsOfDate(out), "the killed run's files, and only those");
        sameTables(direct, out, engine + " cluster with " + victim + " killed");
      } else {
        List<String> lines = r.output().lines().filter(l -> l.startsWith("xenaudit: ")).toList();
        assertEquals(1, lines.size(), "one line saying why:\n" + r.output());
        assertTrue(lines.get(0).length() > "xenaudit: the audit failed: ".length(), lines.get(0));
        assertEquals(before, RealClusterScripts.partitions(out, DATE), "nothing partial published");
      }
      System.out.printf("RealClusterIT %s: DirectRunner %d ms, cluster %d ms, with %s killed %d ms (exit %d; %s)%s%n",
          engine, directMillis, clusterMillis, victim, killedMillis, r.exit(), cluster.recovery(r.output()),
          r.exit() == 0 ? "" : ": " + r.output().lines().filter(l -> l.startsWith("xenaudit: ")).findFirst().orElse(""));
    } finally {
      cluster.stop();
    }
  }

  static void sameTables(Path expected, Path actual, String what) throws Exception {
    try (DuckDbTables a = new DuckDbTables(expected); DuckDbTables b = new DuckDbTables(actual)) {
      for (String table : AuditTables.ALL) {
        List<String> rowsA = rows(a, table);
        assertFalse(rowsA.isEmpty() && table.equals(AuditTables.STREAMS), table);
        List<String> rowsB = rows(b, table);
        assertEquals(rowsA.size(), rowsB.size(), table + ": row count, " + what + " and the DirectRunner");
        assertEquals(rowsA, rowsB, table + ": " + what + " and the DirectRunner differ");
      }
    }
  }

  /** Every row of the table, sorted; the run id (which differs between the runs on purpose) left out. */
  static List<String> rows(DuckDbTables db, String table) throws Exception {
    List<String> out = new ArrayList<>();
    for (Map<String, Object> r : db.rows(table, "")) {
      r.remove("audit_run_id");
      out.add(r.toString());
    }
    out.sort(null);
    return out;
  }

  /** The run ids in the file names of every table partition of the date. */
  static Set<String> runsOfDate(Path out) throws Exception {
    Set<String> runs = new TreeSet<>();
    for (String table : AuditTables.ALWAYS) {
      try (Stream<Path> s = Files.list(out.resolve(table).resolve("audit_date=" + DATE))) {
        for (Path f : (Iterable<Path>) s::iterator) {
          String rest = f.getFileName().toString().substring(table.length() + 1);
          runs.add(rest.substring(0, rest.lastIndexOf('-', rest.lastIndexOf("-of-") - 1)));
        }
      }
    }
    return runs;
  }
}
