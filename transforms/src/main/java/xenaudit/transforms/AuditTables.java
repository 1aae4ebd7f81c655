package xenaudit.transforms;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;

/**
 * The output tables and their Avro schemas ({@code schemas/src/main/avro/<table>.avsc}, on
 * the classpath under {@code xenaudit/schemas/}). Schemas are parsed once per JVM: Avro's
 * {@link Schema} is not serializable, so DoFns look them up here instead of holding them.
 */
public final class AuditTables {
  public static final String STREAMS = "streams";
  public static final String CPUID_POLICY = "cpuid_policy";
  public static final String MSR_POLICY = "msr_policy";
  public static final String FINDINGS = "findings";
  public static final String CPUID_FEATURES = "cpuid_features";
  public static final String GUEST_SECURITY = "guest_security";
  public static final String MIGRATION_CHECK = "migration_check";
  public static final String MIGRATION_BLOCKERS = "migration_blockers";
  public static final String POOL_BASELINE = "pool_baseline";
  public static final String POLICY_DRIFT = "policy_drift";

  /** Tables with rows from every audit. */
  public static final List<String> ALWAYS =
      List.of(STREAMS, CPUID_POLICY, MSR_POLICY, FINDINGS, CPUID_FEATURES, GUEST_SECURITY);

  /** Every table, in the order the README lists them. */
  public static final List<String> ALL = List.of(STREAMS, CPUID_POLICY, MSR_POLICY, FINDINGS, CPUID_FEATURES,
      GUEST_SECURITY, POOL_BASELINE, MIGRATION_CHECK, MIGRATION_BLOCKERS, POLICY_DRIFT);

  /** Folders beside the tables, partitioned by date like them: pool baselines as text, the HTML report. */
  public static final String BASELINES = "baselines";
  public static final String REPORT = "report";
  /** The report's page in each date partition, and the copy of the newest beside the partitions. */
  public static final String REPORT_PAGE = "index.html";
  public static final String LATEST_REPORT = "latest.html";

  /** Every dated folder a run publishes or replaces: the tables, the baselines, the report. */
  public static final List<String> FOLDERS = java.util.stream.Stream
      .concat(ALL.stream(), java.util.stream.Stream.of(BASELINES, REPORT)).toList();

  /** Hive-style partition key: {@code <table>/audit_date=YYYY-MM-DD/}. */
  public static final String DATE_KEY = "audit_date";

  private static final Map<String, Schema> SCHEMAS = new ConcurrentHashMap<>();

  private AuditTables() {}

  /** A folder (local path or any Beam URI) ending in exactly one '/'. */
  static String folder(String dir) {
    return dir.endsWith("/") ? dir : dir + "/";
  }

  /** {@code <output>/<table>/}. */
  public static String directory(String output, String table) {
    return folder(output) + table + "/";
  }

  /** {@code <output>/<folder>/audit_date=<date>/}: one audit date's part of a table (or of baselines, report). */
  public static String partition(String output, String folder, String auditDate) {
    return directory(output, folder) + DATE_KEY + "=" + auditDate + "/";
  }

  /**
   * {@code <baselines>/<pool>.txt}. The pool name comes from object URIs, so it is data, never
   * a path: every byte outside {@code [A-Za-z0-9_-]} (and a dot that would lead) is escaped as
   * {@code %XX}, so a pool named {@code ../x} or {@code a/b} stays one file in that folder.
   */
  public static String baselineFile(String baselines, String pool) {
    return folder(baselines) + fileName(pool) + ".txt";
  }

  static String fileName(String name) {
    if (name.isEmpty()) {
      return "%";
    }
    StringBuilder s = new StringBuilder();
    for (byte b : name.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
      char c = (char) (b & 0xFF);
      boolean plain = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
          || c == '.' && s.length() > 0;
      s.append(plain ? String.valueOf(c) : String.format("%%%02X", (int) c));
    }
    return s.toString();
  }

  public static Schema schema(String table) {
    return SCHEMAS.computeIfAbsent(table, AuditTables::load);
  }

  private static Schema load(String table) {
    String path = "/xenaudit/schemas/" + table + ".avsc";
    try (InputStream in = AuditTables.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("schema " + path + " is not on the classpath (xenaudit-schemas jar)");
      }
      return new Schema.Parser().parse(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
