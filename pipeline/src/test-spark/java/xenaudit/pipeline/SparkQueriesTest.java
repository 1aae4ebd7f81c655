package xenaudit.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Array;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import xenaudit.sample.CpuidProfiles.Model;
import xenaudit.sample.HostPolicies;
import xenaudit.sample.SampleFleet;

/**
 * The Spark SQL queries users are given, run by Spark itself on a generated fleet's output (two
 * dates, pools, a target, drift), must answer exactly what DuckDB answers: each
 * {@code scripts/queries/X.spark.sql} the same rows as {@code X.duckdb.sql}, and each Spark SQL
 * block of the README the same rows as its SELECT run by DuckDB over the same Parquet files.
 * Compiled and run only with {@code -Pspark} (src/test-spark).
 */
class SparkQueriesTest {
  private static final String DATE = "2026-01-16";
  @TempDir static Path work;
  static Path out;
  static SparkSession spark;

  @BeforeAll
  static void auditTwoNights() throws Exception {
    Path fleet = work.resolve("fleet");
    SampleFleet.generate(SampleFleet.Options.defaults(fleet).withGuests(12).withSeed(11).withMemory(4L << 20)
        .withCorrupt(true));
    Path older = work.resolve("older");
    SampleFleet.generate(SampleFleet.Options.defaults(older).withGuests(10).withSeed(11).withMemory(4L << 20));
    Path host = work.resolve("host.txt");
    Files.writeString(host, HostPolicies.dump(Model.INTEL_CASCADE_LAKE, true));
    out = work.resolve("out");
    AuditPipeline.runAndWait(AuditPipelineTest.options(older + "/*", out.toString(), List.of()));
    AuditPipeline.runAndWait(AuditPipelineTest.options(fleet + "/*", out.toString(), List.of("--auditDate=" + DATE,
        "--previousOutput=auto", "--poolKey=guest-00(\\d)", "--targetPolicy=" + host)));
    spark = SparkSession.builder().master("local[2]").appName("xenaudit-queries")
        .config("spark.ui.enabled", "false").config("spark.sql.session.timeZone", "UTC").getOrCreate();
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
  }

  @Test
  void everySparkQueryFileAnswersWhatItsDuckDbTwinAnswers() throws Exception {
    List<Path> files;
    try (Stream<Path> s = Files.list(Path.of("..", "scripts", "queries"))) {
      files = s.filter(f -> f.toString().endsWith(".spark.sql")).sorted().toList();
    }
    assertEquals(6, files.size(), files::toString);
    try (DuckDbTables db = new DuckDbTables(out)) {
      for (Path f : files) {
        String name = f.getFileName().toString().replace(".spark.sql", "");
        List<String> want = duckRows(db, PolicyTablesTest.forOutput(
            Files.readString(f.resolveSibling(name + ".duckdb.sql")), out, DATE));
        List<String> got = sparkRows(PolicyTablesTest.forOutput(Files.readString(f), out, DATE));
        assertFalse(want.isEmpty(), name + ": the fleet gives this question an answer");
        assertEquals(sorted(want), sorted(got), name);
        if (Files.readString(f).contains("ORDER BY")) {
          assertEquals(want, got, name + ": in the same order");
        }
      }
    }
  }

  @Test
  void theReadmeSparkBlocksAnswerWhatDuckDbAnswersOnTheSameFiles() throws Exception {
    String readme = Files.readString(Path.of("..", "README.md"));
    Matcher block = Pattern.compile("```sql\n(.*?)```", Pattern.DOTALL).matcher(readme);
    Pattern view = Pattern.compile("CREATE OR REPLACE TEMPORARY VIEW (\\w+) USING parquet OPTIONS \\(path '([^']+)'\\);");
    int checked = 0;
    try (DuckDbTables db = new DuckDbTables(out)) {
      while (block.find()) {
        String sql = PolicyTablesTest.forOutput(block.group(1), out, DATE);
        if (!sql.contains("USING parquet")) {
          continue;
        }
        // The same SELECT in DuckDB, over the same files: a view per Spark view.
        Matcher v = view.matcher(sql);
        String duck = v.replaceAll(m -> "CREATE OR REPLACE TEMPORARY VIEW " + m.group(1)
            + " AS SELECT * FROM read_parquet('" + m.group(2) + "/*.parquet');");
        List<String> want = duckRows(db, duck);
        assertFalse(want.isEmpty(), block.group(1));
        assertEquals(sorted(want), sorted(sparkRows(sql)), block.group(1));
        checked++;
      }
    }
    assertTrue(checked >= 6, "README Spark SQL blocks checked: " + checked);
  }

  /** Runs statements separated by ';'; the last one's rows, each as its values' text, in order. */
  private static List<String> sparkRows(String script) {
    Dataset<Row> last = null;
    for (String stmt : statements(script)) {
      last = spark.sql(stmt);
    }
    List<String> rows = new ArrayList<>();
    for (Row r : last.collectAsList()) {
      List<String> values = new ArrayList<>();
      for (int i = 0; i < r.size(); i++) {
        Object o = r.get(i);
        values.add(o instanceof scala.collection.Seq<?> ? String.valueOf(r.getList(i)) : String.valueOf(o));
      }
      rows.add(String.join(" | ", values));
    }
    return rows;
  }

  private static List<String> duckRows(DuckDbTables db, String script) throws Exception {
    List<String> stmts = statements(script);
    for (String s : stmts.subList(0, stmts.size() - 1)) {
      db.execute(s);
    }
    List<String> rows = new ArrayList<>();
    for (Map<String, Object> r : db.query(stmts.get(stmts.size() - 1))) {
      List<String> values = new ArrayList<>();
      for (Object o : r.values()) {
        values.add(o instanceof Array a ? String.valueOf(List.of((Object[]) a.getArray())) : String.valueOf(o));
      }
      rows.add(String.join(" | ", values));
    }
    return rows;
  }

  private static List<String> sorted(List<String> rows) {
    List<String> s = new ArrayList<>(rows);
    s.sort(null);
    return s;
  }

  private static List<String> statements(String script) {
    List<String> out = new ArrayList<>();
    for (String s : script.replaceAll("(?m)^--.*$", "").split(";")) {
      if (!s.isBlank()) {
        out.add(s.strip());
      }
    }
    return out;
  }
}
