package xenaudit.transforms;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;

/**
 * The four output tables and their Avro schemas ({@code schemas/src/main/avro/<table>.avsc}, on
 * the classpath under {@code xenaudit/schemas/}). Schemas are parsed once per JVM: Avro's
 * {@link Schema} is not serializable, so DoFns look them up here instead of holding them.
 */
public final class AuditTables {
  public static final String STREAMS = "streams";
  public static final String CPUID_POLICY = "cpuid_policy";
  public static final String MSR_POLICY = "msr_policy";
  public static final String FINDINGS = "findings";
  public static final List<String> ALL = List.of(STREAMS, CPUID_POLICY, MSR_POLICY, FINDINGS);

  private static final Map<String, Schema> SCHEMAS = new ConcurrentHashMap<>();

  private AuditTables() {}

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
