package xenaudit.pipeline;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads the pipeline's Parquet output with DuckDB: a reader independent of Beam, Avro and Hadoop. */
final class DuckDbTables implements AutoCloseable {
  private final Connection db;
  private final Path output;
  private final String auditDate;

  /** Every date partition of the output's tables. */
  DuckDbTables(Path output) throws SQLException {
    this(output, null);
  }

  /** One date's partitions. */
  DuckDbTables(Path output, String auditDate) throws SQLException {
    this.db = DriverManager.getConnection("jdbc:duckdb:");
    this.output = output;
    this.auditDate = auditDate;
  }

  String glob(String table) {
    return output.resolve(table).toAbsolutePath() + (auditDate == null ? "/**/*.parquet" : "/audit_date=" + auditDate + "/*.parquet");
  }

  /** Column name to Parquet physical type, in file order, as DuckDB's parquet_schema reports it. */
  Map<String, String> physicalTypes(String table) throws SQLException {
    Map<String, String> types = new LinkedHashMap<>();
    for (Map<String, Object> r : query(
        "SELECT name, type FROM parquet_schema('" + glob(table) + "') WHERE num_children IS NULL OR num_children = 0")) {
      types.putIfAbsent((String) r.get("name"), (String) r.get("type"));
    }
    return types;
  }

  List<Map<String, Object>> rows(String table, String whereAndOrder) throws SQLException {
    return query("SELECT * FROM read_parquet('" + glob(table) + "') " + whereAndOrder);
  }

  /** Every row of {@code SELECT * FROM from} as its values' text joined by " | ", sorted. */
  List<String> sortedRows(String from) throws SQLException {
    List<String> rows = new ArrayList<>();
    for (Map<String, Object> r : query("SELECT * FROM " + from)) {
      List<String> values = new ArrayList<>();
      for (Object o : r.values()) {
        values.add(o instanceof java.sql.Array a ? String.valueOf(List.of((Object[]) a.getArray())) : String.valueOf(o));
      }
      rows.add(String.join(" | ", values));
    }
    rows.sort(null);
    return rows;
  }

  /** {@code read_parquet} of exactly these files (paths or URIs). */
  static String readFiles(List<String> files) {
    return "read_parquet([" + String.join(", ", files.stream().map(f -> "'" + f + "'").toList()) + "])";
  }

  /** A statement without rows (CREATE VIEW ...). */
  void execute(String sql) throws SQLException {
    try (Statement s = db.createStatement()) {
      s.execute(sql);
    }
  }

  List<Map<String, Object>> query(String sql) throws SQLException {
    List<Map<String, Object>> out = new ArrayList<>();
    try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      ResultSetMetaData md = rs.getMetaData();
      while (rs.next()) {
        Map<String, Object> row = new LinkedHashMap<>();
        for (int i = 1; i <= md.getColumnCount(); i++) {
          row.put(md.getColumnName(i), rs.getObject(i));
        }
        out.add(row);
      }
    }
    return out;
  }

  @Override
  public void close() throws SQLException {
    db.close();
  }
}
