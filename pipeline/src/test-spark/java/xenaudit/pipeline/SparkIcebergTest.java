package xenaudit.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import xenaudit.sample.CpuidProfiles.Model;
import xenaudit.sample.HostPolicies;
import xenaudit.sample.SampleFleet;
import xenaudit.transforms.AuditTables;

/**
 * Spark SQL with Iceberg's Spark runtime reads {@code --tableFormat=iceberg} output as a Hadoop
 * catalog: every table and date holds exactly the rows Spark reads from the Parquet layout of the
 * same runs, a rerun date exactly one copy, and every query of {@code scripts/queries} and of the
 * README, its views pointed at the Iceberg tables as the README says, the rows it gives on the
 * Parquet layout. Spark runs in a JVM of its own ({@link SparkSqlRunner}: the runtime bundles its
 * own Iceberg). Compiled and run only with {@code -Pspark}.
 */
class SparkIcebergTest {
  private static final String D1 = "2026-01-15";
  private static final String D2 = "2026-01-16";
  private static final Pattern VIEW =
      Pattern.compile("CREATE OR REPLACE TEMPORARY VIEW (\\w+) USING parquet OPTIONS \\(path 'OUT/(\\w+)/audit_date=DATE'\\);");
  @TempDir static Path work;
  static Path parquet;
  static Path iceberg;
  static Path scripts;
  static int rerunObjects;
  /** Query name → (Parquet form, Iceberg form), run by Spark. */
  static final Map<String, String[]> QUERIES = new TreeMap<>();

  @BeforeAll
  static void auditEachWayAndQuery() throws Exception {
    Path fleet = work.resolve("fleet");
    SampleFleet.generate(SampleFleet.Options.defaults(fleet).withGuests(12).withSeed(11).withMemory(4L << 20)
        .withCorrupt(true).withSecurityMix(true));
    Path older = work.resolve("older");
    SampleFleet.generate(SampleFleet.Options.defaults(older).withGuests(10).withSeed(11).withMemory(4L << 20));
    Path host = work.resolve("host.txt");
    Files.writeString(host, HostPolicies.dump(Model.INTEL_CASCADE_LAKE, true));
    try (Stream<Path> s = Files.list(older)) {
      rerunObjects = (int) s.filter(Files::isRegularFile).count();
    }
    parquet = work.resolve("parquet");
    iceberg = work.resolve("iceberg");
    for (Path out : List.of(parquet, iceberg)) {
      List<String> format = out == iceberg ? List.of("--tableFormat=iceberg") : List.of();
      // D1 twice (a rerun), then D2 with drift from auto, pools and a target.
      IcebergTablesTest.run(older, out, "first", D1, format);
      IcebergTablesTest.run(older, out, "rerun", D1, format);
      List<String> next = new ArrayList<>(format);
      next.addAll(List.of("--previousOutput=auto", "--poolKey=guest-00(\\d)", "--targetPolicy=" + host));
      IcebergTablesTest.run(fleet, out, "next", D2, next);
    }
    scripts = Files.createDirectories(work.resolve("sql"));
    write("tables", "SHOW TABLES IN audit.xenaudit");
    for (String t : AuditTables.ALL) {
      String columns = String.join(", ", AuditTables.schema(t).getFields().stream().map(f -> f.name()).toList());
      for (String date : List.of(D1, D2)) {
        Path partition = parquet.resolve(t).resolve("audit_date=" + date);
        String ice = "SELECT " + columns + " FROM audit.xenaudit." + t + " WHERE audit_date = DATE '" + date + "'";
        String key = t + "-" + date;
        write(key + "-iceberg-count", "SELECT count(*) FROM (" + ice + ")");
        if (Files.isDirectory(partition)) {
          String par = "SELECT " + columns + " FROM parquet.`" + partition + "`";
          write(key + "-parquet-count", "SELECT count(*) FROM (" + par + ")");
          write(key + "-only-iceberg", "SELECT count(*) FROM (" + ice + " EXCEPT ALL " + par + ")");
          write(key + "-only-parquet", "SELECT count(*) FROM (" + par + " EXCEPT ALL " + ice + ")");
        }
      }
    }
    write("rerun", "SELECT count(*), count(DISTINCT source_uri), min(audit_run_id), max(audit_run_id) "
        + "FROM audit.xenaudit.streams WHERE audit_date = DATE '" + D1 + "'");
    write("snapshots", "SELECT committed_at, summary['xenaudit.audit-run-id'], operation FROM audit.xenaudit.streams.snapshots");
    long first = new org.apache.iceberg.hadoop.HadoopTables().load(iceberg.resolve("xenaudit/streams").toString())
        .snapshots().iterator().next().snapshotId();
    write("first-snapshot", "SELECT count(*), min(audit_run_id) FROM audit.xenaudit.streams VERSION AS OF " + first
        + " WHERE audit_date = DATE '" + D1 + "'");
    List<String> all = new ArrayList<>();
    try (Stream<Path> s = Files.list(Path.of("..", "scripts", "queries"))) {
      for (Path f : s.filter(f -> f.toString().endsWith(".spark.sql")).sorted().toList()) {
        all.add(Files.readString(f));
      }
    }
    Matcher block = Pattern.compile("```sql\n(.*?)```", Pattern.DOTALL).matcher(Files.readString(Path.of("..", "README.md")));
    while (block.find()) {
      if (block.group(1).contains("USING parquet")) {
        all.add(block.group(1));
      }
    }
    for (int i = 0; i < all.size(); i++) {
      String name = String.format("query-%02d", i);
      QUERIES.put(name, new String[] {all.get(i), forIceberg(all.get(i))});
      write(name + "-parquet", PolicyTablesTest.forOutput(all.get(i), parquet, D2));
      write(name + "-iceberg", forIceberg(all.get(i)));
    }
    spark();
  }

  private static void write(String name, String sql) throws Exception {
    Files.writeString(scripts.resolve(name + ".sql"), sql);
  }

  /** The Spark JVM: this test's classpath without the pipeline's own Iceberg jars. */
  private static void spark() throws Exception {
    List<String> cp = new ArrayList<>();
    for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
      if (!e.matches(".*/org/apache/iceberg/iceberg-(core|parquet|api|common|bundled-guava|data|orc)/.*")) {
        cp.add(e);
      }
    }
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx2g"));
    // Spark's --add-opens, as this JVM was given them (the spark profile's argLine).
    cmd.addAll(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .filter(a -> a.startsWith("--add-opens")).toList());
    cmd.addAll(List.of("-cp", String.join(java.io.File.pathSeparator, cp), SparkSqlRunner.class.getName(),
        iceberg.toString(), scripts.toString()));
    Path log = work.resolve("spark.log");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertTrue(p.waitFor(10, TimeUnit.MINUTES), "Spark finished");
    String tail = String.join("\n", Files.readAllLines(log).stream().filter(l -> !l.contains(" INFO ")).toList());
    assertEquals(0, p.exitValue(), tail.length() > 8000 ? tail.substring(tail.length() - 8000) : tail);
  }

  private static List<String> rows(String name) throws Exception {
    return Files.readAllLines(scripts.resolve(name + ".sql.rows"));
  }

  private static String one(String name) throws Exception {
    List<String> r = rows(name);
    assertEquals(1, r.size(), name + ": " + r);
    return r.get(0);
  }

  @Test
  void everyTableAndDateHasTheParquetLayoutsRows() throws Exception {
    List<String> tables = new ArrayList<>();
    for (String r : rows("tables")) {
      tables.add(r.split(",")[1]);
    }
    List<String> all = new ArrayList<>(AuditTables.ALL);
    all.sort(null);
    tables.sort(null);
    assertEquals(all, tables, "every table is in the catalog");
    long compared = 0;
    for (String t : AuditTables.ALL) {
      for (String date : List.of(D1, D2)) {
        String key = t + "-" + date;
        if (!Files.exists(scripts.resolve(key + "-parquet-count.sql"))) {
          assertEquals("[0]", one(key + "-iceberg-count"), key + ": a table the run does not produce has no rows");
          continue;
        }
        assertEquals(one(key + "-parquet-count"), one(key + "-iceberg-count"), key + ": rows");
        assertEquals("[0]", one(key + "-only-iceberg"), key + ": rows only in Iceberg");
        assertEquals("[0]", one(key + "-only-parquet"), key + ": rows only in Parquet");
        String n = one(key + "-parquet-count");
        compared += Long.parseLong(n.substring(1, n.length() - 1));
      }
    }
    assertTrue(compared > 5_000, "rows compared: " + compared);
  }

  @Test
  void aRerunDateHoldsOneCopyAndHistoryKeepsBoth() throws Exception {
    assertEquals("[" + rerunObjects + "," + rerunObjects + ",rerun,rerun]", one("rerun"));
    List<String> runs = rows("snapshots").stream().map(r -> r.split(",")[1]).toList();
    assertEquals(List.of("first", "next", "rerun"), runs.stream().sorted().toList());
    assertEquals(3, runs.size());
    // Time travel: the first snapshot still reads the first run's copy of the date.
    assertEquals("[" + rerunObjects + ",first]", one("first-snapshot"));
  }

  @Test
  void everyQueryGivesTheSameRowsOnTheIcebergTables() throws Exception {
    assertTrue(QUERIES.size() >= 12, "queries: " + QUERIES.size());
    for (Map.Entry<String, String[]> q : QUERIES.entrySet()) {
      List<String> want = rows(q.getKey() + "-parquet");
      assertFalse(want.isEmpty(), q.getValue()[0]);
      assertEquals(want, rows(q.getKey() + "-iceberg"), q.getValue()[1]);
    }
  }

  /** The README's rule for Iceberg tables: each Parquet view becomes a view of the table's date. */
  static String forIceberg(String script) {
    return VIEW.matcher(script).replaceAll(m -> "CREATE OR REPLACE TEMPORARY VIEW " + m.group(1)
        + " AS SELECT * FROM audit.xenaudit." + m.group(2) + " WHERE audit_date = DATE '" + D2 + "';");
  }
}
