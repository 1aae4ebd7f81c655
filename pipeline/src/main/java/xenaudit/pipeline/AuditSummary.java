package xenaudit.pipeline;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import xenaudit.transforms.AuditTables;
import xenaudit.policy.SecurityIssue;
import xenaudit.policy.Verdict;
import xenaudit.transforms.ParseImageFn;

/** What the job did, from its counters: images by status, frequent findings, where the tables are. */
public record AuditSummary(
    long valid, long invalid, long unreadable, long withPolicy, long bytesRead, long bytesAudited,
    long bytesSkipped, long records, Map<String, Long> findingCounts, Map<String, Long> severityCounts, String output, long s3Requests, long s3BytesFetched,
    Map<String, Long> verdictCounts, long withoutPool, long migrationCompatible, long migrationBlocked,
    String auditDate, List<String> tables, List<String> tableLines) {

  static AuditSummary of(PipelineResult result, String output, String auditDate, List<String> tables,
      List<String> tableLines) {
    Map<String, Long> ours = counters(result, ParseImageFn.METRICS);
    return new AuditSummary(
        ours.getOrDefault("images_valid", 0L),
        ours.getOrDefault("images_invalid", 0L),
        ours.getOrDefault("images_unreadable", 0L),
        ours.getOrDefault("guests_with_policy", 0L),
        ours.getOrDefault("bytes_read", 0L),
        ours.getOrDefault("bytes_audited", 0L),
        ours.getOrDefault("bytes_skipped", 0L),
        ours.getOrDefault("records", 0L),
        counters(result, ParseImageFn.FINDINGS_METRICS),
        counters(result, ParseImageFn.SEVERITY_METRICS),
        output,
        ours.getOrDefault("s3_get_requests", 0L),
        ours.getOrDefault("s3_bytes_fetched", 0L),
        counters(result, ParseImageFn.VERDICT_METRICS),
        ours.getOrDefault("guests_without_pool", 0L),
        ours.getOrDefault("migration_compatible", 0L),
        ours.getOrDefault("migration_blocked", 0L),
        auditDate,
        List.copyOf(tables),
        List.copyOf(tableLines));
  }

  /** Verdicts of one issue: not_affected, mitigation_available, exposed, unknown. */
  public Map<String, Long> verdicts(SecurityIssue issue) {
    Map<String, Long> out = new java.util.LinkedHashMap<>();
    for (Verdict v : Verdict.values()) {
      out.put(v.label(), verdictCounts.getOrDefault(issue.column() + "_" + v.label(), 0L));
    }
    return out;
  }

  private void printVerdicts(PrintStream out) {
    out.println("  security verdicts (not affected / mitigation available / exposed / unknown):");
    for (SecurityIssue.Scope scope : SecurityIssue.Scope.values()) {
      out.println("    " + scope.title().toLowerCase(java.util.Locale.ROOT) + ":");
      for (SecurityIssue i : SecurityIssue.values()) {
        if (i.scope() == scope) {
          Map<String, Long> v = verdicts(i);
          out.printf("      %-16s %6d %6d %6d %6d%n", i.column(), v.get("not_affected"), v.get("mitigation_available"),
              v.get("exposed"), v.get("unknown"));
        }
      }
    }
  }

  private static Map<String, Long> counters(PipelineResult result, String namespace) {
    MetricQueryResults q =
        result.metrics().queryMetrics(MetricsFilter.builder().addNameFilter(MetricNameFilter.inNamespace(namespace)).build());
    Map<String, Long> out = new TreeMap<>();
    for (MetricResult<Long> c : q.getCounters()) {
      Long v = c.getAttempted();
      out.merge(c.getName().getName(), v == null ? 0L : v, Long::sum);
    }
    return out;
  }

  public long images() {
    return valid + invalid + unreadable;
  }

  void print(PrintStream out, double seconds) {
    out.printf("xenaudit: %d images audited in %.1f s: %d valid, %d invalid, %d unreadable%n",
        images(), seconds, valid, invalid, unreadable);
    List<Map.Entry<String, Long>> top = new ArrayList<>(findingCounts.entrySet());
    top.sort(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()).thenComparing(Map.Entry.comparingByKey()));
    if (!top.isEmpty()) {
      StringBuilder s = new StringBuilder("  most frequent findings:");
      for (int i = 0; i < Math.min(8, top.size()); i++) {
        s.append(i == 0 ? " " : ", ").append(top.get(i).getKey()).append(" ×").append(top.get(i).getValue());
      }
      out.println(s);
    }
    out.printf("  records: %d; findings: %d errors, %d warnings, %d info%n", records,
        severityCounts.getOrDefault("error", 0L), severityCounts.getOrDefault("warning", 0L),
        severityCounts.getOrDefault("info", 0L));
    out.printf("  bytes read: %d of %d (%d skipped); guests with a CPUID/MSR policy: %d%n", bytesRead, bytesAudited,
        bytesSkipped, withPolicy);
    if (s3Requests > 0) {
      out.printf("  s3 ranged GETs: %d; bytes fetched: %d%n", s3Requests, s3BytesFetched);
    }
    printVerdicts(out);
    if (withoutPool > 0) {
      out.printf("  guests in no pool (--poolKey did not match): %d%n", withoutPool);
    }
    if (migrationCompatible + migrationBlocked > 0) {
      out.printf("  migration check: %d compatible, %d blocked%n", migrationCompatible, migrationBlocked);
    }
    out.println("  tables (audit date " + auditDate + "):");
    for (String t : tableLines) {
      out.println("    " + t);
    }
  }
}
