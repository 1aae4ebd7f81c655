package xenaudit.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import xenaudit.iceberg.IcebergCatalog;
import xenaudit.iceberg.IcebergSettings;
import xenaudit.sample.ManifestEntry;
import xenaudit.sample.SampleFleet;
import xenaudit.transforms.AuditTables;

/**
 * {@code --tableFormat=iceberg} with the output on a real S3 server (s3proxy): two runs of a date
 * leave two snapshots and one copy of the date; a run whose commit fails (every PUT of a table
 * version refused, through {@link FaultProxy}) leaves the previous snapshot current with every row;
 * the next run finishes the journaled commit, then commits its own, and the date again holds one copy.
 */
class IcebergS3Test {
  private static final String DATE = "2026-04-01";
  private static final String OUT = "s3://audit/ice";
  @TempDir static Path work;
  static S3ProxyServer s3;
  static FaultProxy proxy;
  static int objects;

  @BeforeAll
  static void serverAndImages() throws Exception {
    s3 = S3ProxyServer.start(work);
    proxy = s3.faultProxy(5_000);
    Path fleet = work.resolve("fleet");
    for (ManifestEntry e : SampleFleet.generate(SampleFleet.Options.defaults(fleet).withGuests(6).withSeed(31)
        .withMemory(4L << 20).withCorrupt(true))) {
      Files.copy(fleet.resolve(e.file()), s3.bucket("archive").resolve(e.file()));
      objects++;
    }
    s3.bucket("audit");
  }

  @AfterAll
  static void stop() throws Exception {
    proxy.close();
    s3.close();
  }

  static AuditSummary run(String runId) throws Exception {
    List<String> a = new ArrayList<>();
    for (String x : s3.beamArgs()) {
      a.add(x.startsWith("--endpoint=") ? "--endpoint=" + proxy.endpoint() : x);
    }
    a.addAll(List.of("--tableFormat=iceberg", "--auditRunId=" + runId, "--auditDate=" + DATE, "--runner=DirectRunner",
        "--input=s3://archive/*", "--output=" + OUT));
    org.apache.beam.sdk.options.PipelineOptionsFactory.register(AuditOptions.class);
    return AuditPipeline.runAndWait(org.apache.beam.sdk.options.PipelineOptionsFactory.fromArgs(a.toArray(String[]::new))
        .withValidation().as(AuditOptions.class));
  }

  /** (run ids of the streams snapshots, rows of the date in the current one, distinct source_uri). */
  static List<Object> state() throws Exception {
    try (IcebergCatalog catalog = IcebergCatalog.open(IcebergSettings.of(null, "xenaudit", List.of()), OUT)) {
      Table t = catalog.load(AuditTables.STREAMS);
      List<String> runs = new ArrayList<>();
      for (Snapshot s : t.snapshots()) {
        runs.add(s.summary().get(IcebergCatalog.RUN_ID));
      }
      List<String> files = catalog.files(AuditTables.STREAMS, DATE);
      List<String> local = new ArrayList<>();
      for (String f : files) {
        assertTrue(f.startsWith("s3://audit/"), f);
        local.add("'" + s3.bucket("audit").resolve(f.substring("s3://audit/".length())) + "'");
      }
      try (DuckDbTables db = new DuckDbTables(work)) {
        var r = db.query("SELECT count(*) AS n, count(DISTINCT source_uri) AS d FROM read_parquet([" + String.join(",", local)
            + "])").get(0);
        return List.of(runs, r.get("n"), r.get("d"));
      }
    }
  }

  @Test
  void reruns_andAFailedCommit_leaveOneCompleteCopy() throws Exception {
    run("first");
    run("second");
    assertEquals(List.of(List.of("first", "second"), (long) objects, (long) objects), state());

    proxy.clear();
    FaultProxy.Rule refused = proxy.add("PUT", ".metadata.json", FaultProxy.Fault.WRONG_REGION, -1);
    assertThrows(Exception.class, () -> run("failed"), "the commit cannot be written");
    proxy.clear();
    assertTrue(refused.hits.get() > 0, "the commit was attempted");
    assertEquals(List.of(List.of("first", "second"), (long) objects, (long) objects), state(),
        "the previous snapshot is current, every row there once");

    run("after");
    List<Object> now = state();
    @SuppressWarnings("unchecked")
    List<String> runs = (List<String>) now.get(0);
    assertEquals(List.of("first", "second", "failed", "after"), runs,
        "the next run finished the journaled commit, then made its own");
    assertEquals((long) objects, now.get(1));
    assertEquals((long) objects, now.get(2));
  }
}
