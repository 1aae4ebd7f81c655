package xenaudit.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

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
 * and on an embedded Flink cluster: every table equal row for row. Runs with the runner on the
 * classpath ({@code mvn -Pflink}); skipped otherwise.
 */
@EnabledIf("flinkOnClasspath")
class ClusterRunnerTablesTest {
  @TempDir static Path work;
  static Path fleet;
  static Path host;
  static Path previous;

  static boolean flinkOnClasspath() {
    try {
      Class.forName("org.apache.beam.runners.flink.FlinkRunner");
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
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
    List<String> args = new ArrayList<>(List.of("--runner=" + runner, "--input=" + fleet + "/*", "--output=" + out,
        "--auditRunId=same", "--poolKey=guest-00(\\d)", "--targetPolicy=" + host, "--previousOutput=" + previous));
    args.addAll(List.of(extra));
    PipelineOptionsFactory.register(AuditOptions.class);
    return AuditPipeline.runAndWait(
        PipelineOptionsFactory.fromArgs(args.toArray(String[]::new)).withValidation().as(AuditOptions.class));
  }

  @Test
  void flinkWritesTheSameTablesAsTheDirectRunner() throws Exception {
    Path direct = work.resolve("direct");
    Path flink = work.resolve("flink");
    AuditSummary d = audit("DirectRunner", direct);
    AuditSummary f = audit("FlinkRunner", flink, "--flinkMaster=[local]", "--parallelism=2");
    assertEquals(d.images(), f.images());
    assertEquals(d.verdictCounts(), f.verdictCounts(), "the same metrics");
    try (DuckDbTables a = new DuckDbTables(direct); DuckDbTables b = new DuckDbTables(flink)) {
      for (String table : AuditTables.ALL) {
        List<String> rowsA = rows(a, table);
        assertFalse(rowsA.isEmpty() && table.equals(AuditTables.STREAMS), table);
        assertEquals(rowsA, rows(b, table), table + ": Flink and the DirectRunner differ");
      }
    }
    assertEquals(List.of("0.txt", "1.txt"), names(direct.resolve("baselines")));
    assertEquals(names(direct.resolve("baselines")), names(flink.resolve("baselines")));
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
