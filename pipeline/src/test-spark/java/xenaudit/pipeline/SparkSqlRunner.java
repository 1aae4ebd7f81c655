package xenaudit.pipeline;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Runs Spark SQL scripts in a JVM of its own: {@code SparkSqlRunner WAREHOUSE DIR} runs every
 * {@code DIR/*.sql} (statements separated by ';') with an Iceberg catalog {@code audit} of type
 * hadoop on WAREHOUSE, and writes the last statement's rows, sorted, one per line, to {@code
 * X.sql.rows}. Iceberg's Spark runtime bundles its own Iceberg with a relocated Parquet, so it
 * cannot share a classpath with the Iceberg the pipeline writes with: the test starts this
 * with the runtime and without the pipeline's Iceberg.
 */
public final class SparkSqlRunner {
  private SparkSqlRunner() {}

  public static void main(String[] args) throws Exception {
    SparkSession spark = SparkSession.builder().master("local[2]").appName("xenaudit-iceberg")
        .config("spark.ui.enabled", "false").config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.catalog.audit", "org.apache.iceberg.spark.SparkCatalog")
        .config("spark.sql.catalog.audit.type", "hadoop")
        .config("spark.sql.catalog.audit.warehouse", args[0])
        .getOrCreate();
    try (Stream<Path> s = Files.list(Path.of(args[1]))) {
      for (Path script : s.filter(f -> f.toString().endsWith(".sql")).sorted().toList()) {
        Dataset<Row> last = null;
        for (String stmt : Files.readString(script).replaceAll("(?m)^--.*$", "").split(";")) {
          if (!stmt.isBlank()) {
            last = spark.sql(stmt.strip());
          }
        }
        List<String> rows = new ArrayList<>();
        for (Row r : last.collectAsList()) {
          rows.add(r.toString());
        }
        rows.sort(null);
        Files.write(script.resolveSibling(script.getFileName() + ".rows"), rows);
      }
    } finally {
      spark.stop();
    }
  }
}
