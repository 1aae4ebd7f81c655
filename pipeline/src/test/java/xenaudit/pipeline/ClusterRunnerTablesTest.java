package xenaudit.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;
import xenaudit.sample.CpuidProfiles.Model;
import xenaudit.sample.HostPolicies;
import xenaudit.sample.SampleFleet;
import xenaudit.transforms.AuditTables;

/**
 * The same fleet, with pools, a target policy and a previous output, audited on the DirectRunner
 * and on an embedded Flink or Spark cluster: every table equal row for row. Each runs with its
 * runner on the classpath ({@code mvn -Pflink}, {@code mvn -Pspark}); skipped otherwise.
 */
class ClusterRunnerTablesTest {
  @TempDir static Path work;
  static Path fleet;
  static Path host;
  static Path previous;

  static boolean onClasspath(String runnerClass) {
    try {
      Class.forName(runnerClass);
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }

  static boolean flinkOnClasspath() {
    return onClasspath("org.apache.beam.runners.flink.FlinkRunner");
  }

  static boolean sparkOnClasspath() {
    return onClasspath("org.apache.beam.runners.spark.SparkRunner");
  }

  @BeforeAll
  static void fleetAndPreviousRun() throws Exception {
    fleet = work.resolve("fleet");
    SampleFleet.generate(SampleFleet.Options.defaults(fleet).withGuests(12).withSeed(3).withMemory(4L << 20));
    host = work.resolve("host.txt");
    Files.writeString(host, HostPolicies.dump(Model.INTEL_CASCADE_LAKE, true));
    previous = work.resolve("previous");
    SampleFleet.generate(SampleFleet.Options.defaults(work.resolve("older")).withGuests(10).withSeed(3)
        .withMemory(4L << 20));
    AuditPipeline.runAndWait(AuditPipelineTest.options(work.resolve("older") + "/*", previous.toString(), List.of()));
  }

  static AuditSummary audit(String runner, Path out, String... extra) throws Exception {
    // Two patterns that both match guest-0001: it must still be one object, one streams row.
    List<String> args = new ArrayList<>(List.of("--runner=" + runner,
        "--input=" + fleet + "/*," + fleet + "/guest-0001.*", "--output=" + out,
        "--auditRunId=same", "--auditDate=" + AuditPipelineTest.DATE, "--poolKey=guest-00(\\d)", "--targetPolicy=" + host,
        "--previousOutput=" + previous));
    args.addAll(List.of(extra));
    PipelineOptionsFactory.register(AuditOptions.class);
    return AuditPipeline.runAndWait(
        PipelineOptionsFactory.fromArgs(args.toArray(String[]::new)).withValidation().as(AuditOptions.class));
  }

  @Test
  @EnabledIf("flinkOnClasspath")
  void flinkWritesTheSameTablesAsTheDirectRunner() throws Exception {
    sameTables("flink", "FlinkRunner", "--flinkMaster=[local]", "--parallelism=2");
  }

  @Test
  @EnabledIf("sparkOnClasspath")
  void sparkWritesTheSameTablesAsTheDirectRunner() throws Exception {
    sameTables("spark", "SparkRunner", "--sparkMaster=local[2]");
  }

  private static void sameTables(String name, String runner, String... runnerArgs) throws Exception {
    Path direct = work.resolve("direct-" + name);
    Path flink = work.resolve(name);
    AuditSummary d = audit("DirectRunner", direct);
    AuditSummary f = audit(runner, flink, runnerArgs);
    assertEquals(d.images(), f.images());
    assertEquals(d.verdictCounts(), f.verdictCounts(), "the same metrics");
    assertEquals(List.of(d.records(), d.bytesRead(), d.bytesSkipped(), d.findingCounts(), d.severityCounts()),
        List.of(f.records(), f.bytesRead(), f.bytesSkipped(), f.findingCounts(), f.severityCounts()),
        "records, bytes, findings by code and severity: the same metrics on " + runner);
    assertTrue(d.records() > 0 && d.bytesSkipped() > 0, "the metrics are counted");
    try (DuckDbTables a = new DuckDbTables(direct); DuckDbTables b = new DuckDbTables(flink)) {
      for (String table : AuditTables.ALL) {
        List<String> rowsA = rows(a, table);
        assertFalse(rowsA.isEmpty() && table.equals(AuditTables.STREAMS), table);
        assertEquals(rowsA, rows(b, table), table + ": " + runner + " and the DirectRunner differ");
      }
    }
    Path baselines = Path.of("baselines", "audit_date=" + AuditPipelineTest.DATE);
    assertEquals(List.of("0.txt", "1.txt"), names(direct.resolve(baselines)));
    assertEquals(names(direct.resolve(baselines)), names(flink.resolve(baselines)));
  }

  static List<String> rows(DuckDbTables db, String table) throws Exception {
    List<String> out = new ArrayList<>();
    for (Map<String, Object> r : db.rows(table, "")) {
      out.add(r.toString());
    }
    out.sort(null);
    return out;
  }

  static List<String> names(Path dir) throws Exception {
    try (var s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
