package xenaudit.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.iceberg.CatalogProperties;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.expressions.Expressions;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.rest.RESTCatalog;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import xenaudit.iceberg.IcebergCatalog;
import xenaudit.sample.SampleFleet;
import xenaudit.transforms.AuditTables;

/**
 * {@code --icebergCatalogUri}: the tables in Iceberg's own REST catalog server (a child process,
 * reached through {@link FaultProxy}, which logs every request and refuses one on cue), read back
 * with Iceberg's {@link RESTCatalog} and DuckDB, none of xenaudit's reading code. A rerun commits
 * every table in one multi-table request; a refused commit changes no table at all; the next run
 * finishes the refused one, then commits its own; every table and date holds the Parquet layout's
 * rows of the same runs.
 */
class IcebergRestCatalogTest {
  private static final String D1 = "2026-05-04";
  private static final String D2 = "2026-05-05";
  private static final String POOLS = "--poolKey=guest-00(\\d)";
  @TempDir static Path work;
  static IcebergRestServer server;
  static FaultProxy proxy;
  static Path out;
  static Path parquet;
  static int objectsA;
  static int objectsA2;
  static int objectsB;
  /** The requests of the rerun. */
  static List<String> rerunRequests;
  /** Table → run ids of its snapshots, after the refused commit. */
  static Map<String, List<String>> afterRefused;
  static int refusedHits;
  static long streamsD1AfterRefused;
  static String reportD1AfterRefused;

  @BeforeAll
  static void runs() throws Exception {
    Path a = work.resolve("a");
    SampleFleet.generate(SampleFleet.Options.defaults(a).withGuests(8).withSeed(41).withMemory(4L << 20)
        .withCorrupt(true).withSecurityMix(true));
    Path b = work.resolve("b");
    SampleFleet.generate(SampleFleet.Options.defaults(b).withGuests(7).withSeed(42).withMemory(4L << 20)
        .withCorrupt(true).withSecurityMix(true));
    Path a2 = Files.createDirectories(work.resolve("a2"));
    List<Path> all = IcebergTablesTest.images(a);
    for (int i = 0; i < all.size(); i++) {
      if (i % 3 != 0) {
        Files.copy(all.get(i), a2.resolve(all.get(i).getFileName()));
      }
    }
    objectsA = all.size();
    objectsA2 = IcebergTablesTest.images(a2).size();
    objectsB = IcebergTablesTest.images(b).size();

    server = IcebergRestServer.start(work);
    proxy = new FaultProxy(server.port(), path -> null, 5_000);
    out = work.resolve("out");
    IcebergTablesTest.run(a, out, "r1", D1, rest());
    proxy.requestLines.clear();
    IcebergTablesTest.run(a2, out, "r2", D1, rest());
    rerunRequests = List.copyOf(proxy.requestLines);

    FaultProxy.Rule refused = proxy.add("POST", "/transactions/commit", FaultProxy.Fault.STATUS_500, -1);
    assertThrows(Exception.class, () -> IcebergTablesTest.run(a, out, "refused", D1, rest()), "the catalog refused the commit");
    proxy.clear();
    refusedHits = refused.hits.get();
    try (RESTCatalog c = client()) {
      afterRefused = runsOfEveryTable(c);
      streamsD1AfterRefused = IcebergTablesTest.records(c.loadTable(id(AuditTables.STREAMS)), D1);
    }
    reportD1AfterRefused = Files.readString(reportPage(D1));
    List<String> next = new ArrayList<>(rest());
    next.addAll(List.of("--previousOutput=auto", POOLS));
    IcebergTablesTest.run(b, out, "r3", D2, next);

    // The runs whose rows the catalog's dates hold at the end, with their run ids, in the Parquet layout.
    parquet = work.resolve("parquet");
    IcebergTablesTest.run(a, parquet, "refused", D1, List.of());
    IcebergTablesTest.run(b, parquet, "r3", D2, List.of("--previousOutput=auto", POOLS));
  }

  @AfterAll
  static void stop() throws Exception {
    if (proxy != null) {
      proxy.close();
    }
    if (server != null) {
      server.close();
    }
  }

  static Path reportPage(String date) {
    return out.resolve(AuditTables.REPORT).resolve("audit_date=" + date).resolve(AuditTables.REPORT_PAGE);
  }

  static List<String> rest() {
    return List.of("--tableFormat=iceberg", "--icebergCatalogUri=" + proxy.endpoint());
  }

  /** Iceberg's own client of the server (not through the proxy), reading files with Hadoop's FileIO. */
  static RESTCatalog client() {
    RESTCatalog c = new RESTCatalog();
    c.initialize("check", Map.of(CatalogProperties.URI, "http://127.0.0.1:" + server.port(),
        CatalogProperties.FILE_IO_IMPL, "org.apache.iceberg.hadoop.HadoopFileIO"));
    return c;
  }

  static TableIdentifier id(String table) {
    return TableIdentifier.of(Namespace.of("xenaudit"), table);
  }

  static Map<String, List<String>> runsOfEveryTable(RESTCatalog c) {
    Map<String, List<String>> runs = new TreeMap<>();
    for (TableIdentifier t : c.listTables(Namespace.of("xenaudit"))) {
      List<String> ids = new ArrayList<>();
      for (Snapshot s : c.loadTable(t).snapshots()) {
        ids.add(s.summary().get(IcebergCatalog.RUN_ID));
      }
      runs.put(t.name(), ids);
    }
    return runs;
  }

  @Test
  void theRerunCommitsEveryTableInOneRequest() {
    List<String> commits = rerunRequests.stream().filter(r -> r.startsWith("POST ") && r.contains("/transactions/commit")).toList();
    assertEquals(1, commits.size(), "multi-table commits of the rerun: " + commits);
    List<String> perTable = rerunRequests.stream()
        .filter(r -> r.matches("POST /v1/(.+/)?namespaces/[^/]+/tables/[^/?]+")).toList();
    assertEquals(List.of(), perTable, "no table was committed on its own");
  }

  @Test
  void aRefusedCommitChangesNoTable() {
    assertTrue(refusedHits > 0, "the commit was attempted");
    assertTrue(afterRefused.size() >= 6, "tables: " + afterRefused.keySet());
    for (Map.Entry<String, List<String>> e : afterRefused.entrySet()) {
      assertEquals(List.of("r1", "r2"), e.getValue(), e.getKey() + ": the refused run left no snapshot");
    }
    assertEquals(objectsA2, streamsD1AfterRefused, "streams still holds the rerun's rows");
    assertTrue(reportD1AfterRefused.contains("r2") && !reportD1AfterRefused.contains("refused"),
        "the date's report is still the rerun's");
  }

  @Test
  void theNextRunFinishesTheRefusedCommitThenMakesItsOwn() throws Exception {
    try (RESTCatalog c = client()) {
      Map<String, List<String>> runs = runsOfEveryTable(c);
      assertEquals(List.of("r1", "r2", "refused", "r3"), runs.get(AuditTables.STREAMS));
      for (Map.Entry<String, List<String>> e : runs.entrySet()) {
        List<String> want = afterRefused.containsKey(e.getKey()) ? List.of("r1", "r2", "refused", "r3") : List.of("r3");
        assertEquals(want, e.getValue(), e.getKey());
      }
      assertTrue(runs.containsKey(AuditTables.POLICY_DRIFT), "drift from auto: " + runs.keySet());
      // Each run's snapshots of all tables carry one commit id: they were one commit.
      for (String run : List.of("r2", "refused", "r3")) {
        TreeSet<String> ids = new TreeSet<>();
        for (TableIdentifier t : c.listTables(Namespace.of("xenaudit"))) {
          for (Snapshot s : c.loadTable(t).snapshots()) {
            if (run.equals(s.summary().get(IcebergCatalog.RUN_ID))) {
              ids.add(s.summary().get(IcebergCatalog.COMMIT_ID));
            }
          }
        }
        assertEquals(1, ids.size(), run + ": " + ids);
      }
      Table streams = c.loadTable(id(AuditTables.STREAMS));
      assertEquals(String.valueOf(objectsA + objectsB), streams.currentSnapshot().summary().get("total-records"),
          "one row per image of each date: the finished commit replaced the rerun's rows");
      assertTrue(Files.readString(reportPage(D1)).contains("refused"), "the finished commit published its report too");
      assertFalse(Files.exists(out.resolve(".xenaudit-temp")), "nothing of the finished run is left staged");
    }
  }

  @Test
  void everyTableAndDateHoldsTheRowsOfTheParquetLayout() throws Exception {
    int compared = 0;
    try (RESTCatalog c = client(); DuckDbTables db = new DuckDbTables(parquet)) {
      for (String name : AuditTables.ALL) {
        boolean exists = c.tableExists(id(name));
        for (String date : List.of(D1, D2)) {
          Path partition = parquet.resolve(name).resolve("audit_date=" + date);
          List<String> files = exists ? IcebergTablesTest.files(c.loadTable(id(name)), null, date) : List.of();
          if (!Files.isDirectory(partition)) {
            assertEquals(List.of(), files, name + " " + date);
            continue;
          }
          assertTrue(exists, name);
          for (String f : files) {
            assertTrue(f.startsWith(server.warehouse().toUri().toString().replaceFirst("/$", ""))
                || f.startsWith(server.warehouse().toString()), name + ": in the catalog's warehouse: " + f);
          }
          List<String> want = db.sortedRows("read_parquet('" + partition.toAbsolutePath() + "/*.parquet')");
          List<String> got = files.isEmpty() ? List.of() : db.sortedRows(DuckDbTables.readFiles(files));
          assertEquals(want, got, name + " " + date);
          assertEquals(want.size(), IcebergTablesTest.records(c.loadTable(id(name)), date), name + " " + date);
          compared += want.size();
        }
      }
    }
    assertTrue(compared > 3_000, "rows compared: " + compared);
  }
}
