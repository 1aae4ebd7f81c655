package xenaudit.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import xenaudit.policy.SecurityIssue;
import xenaudit.report.HeadlessChromium;
import xenaudit.policy.Verdict;
import xenaudit.sample.CpuidProfiles.Model;
import xenaudit.sample.HostPolicies;
import xenaudit.sample.SampleFleet;
import xenaudit.transforms.AuditTables;

/**
 * The HTML report a run publishes shows the fleet's real numbers: every count the page carries
 * (by its documented element id) equals the same count taken by DuckDB from the tables of that
 * date; it references nothing outside itself; and report/latest.html follows the newest date.
 */
class ComplianceReportTest {
  private static final String DAY1 = "2026-05-01";
  private static final String DAY2 = "2026-05-02";
  @TempDir static Path work;
  static Path out;
  static Map<String, Long> page;

  @BeforeAll
  static void twoNights() throws Exception {
    Path older = work.resolve("older");
    SampleFleet.generate(SampleFleet.Options.defaults(older).withGuests(10).withSeed(11).withMemory(4L << 20));
    Path fleet = work.resolve("fleet");
    SampleFleet.generate(SampleFleet.Options.defaults(fleet).withGuests(14).withSeed(11).withMemory(4L << 20)
        .withCorrupt(true));
    Path host = work.resolve("host.txt");
    Files.writeString(host, HostPolicies.dump(Model.INTEL_CASCADE_LAKE, true));
    out = work.resolve("out");
    AuditPipeline.runAndWait(AuditPipelineTest.options(older + "/*", out.toString(), List.of("--auditDate=" + DAY1)));
    AuditPipeline.runAndWait(AuditPipelineTest.options(fleet + "/*", out.toString(), List.of("--auditDate=" + DAY2,
        "--previousOutput=auto", "--poolKey=guest-00(\\d)", "--targetPolicy=" + host)));
    page = counts(Files.readString(report(DAY2)));
  }

  static Path report(String date) {
    return out.resolve(AuditTables.REPORT).resolve("audit_date=" + date).resolve("index.html");
  }

  /** id → data-value of every counted element. */
  static Map<String, Long> counts(String html) {
    Map<String, Long> m = new TreeMap<>();
    Matcher x = Pattern.compile("id=\"([^\"]+)\"[^>]*data-value=\"(-?\\d+)\"").matcher(html);
    while (x.find()) {
      m.put(x.group(1), Long.parseLong(x.group(2)));
    }
    return m;
  }

  long page(String id) {
    Long v = page.get(id);
    assertTrue(v != null, "the report has no count " + id);
    return v;
  }

  @Test
  void fleetStatusAndFindingsAreTheTables() throws Exception {
    try (DuckDbTables db = new DuckDbTables(out, DAY2)) {
      String streams = "read_parquet('" + db.glob(AuditTables.STREAMS) + "')";
      assertEquals(db.rows(AuditTables.STREAMS, "").size(), page("images-total"));
      long bad = 0;
      for (String status : List.of("valid", "invalid", "unreadable")) {
        long n = (Long) db.query("SELECT count(*) AS n FROM " + streams + " WHERE status = '" + status + "'")
            .get(0).get("n");
        assertEquals(n, page("status-" + status), status);
        bad += status.equals("valid") ? 0 : n;
      }
      assertTrue(bad > 0, "the fleet has corrupt archives");
      assertEquals(bad, page("bad-archives-total"));
      for (Map<String, Object> r : db.query("SELECT code, severity, count(*) AS n FROM read_parquet('"
          + db.glob(AuditTables.FINDINGS) + "') GROUP BY ALL")) {
        assertEquals(r.get("n"), page("findings-" + r.get("code") + "-" + r.get("severity")), r.toString());
      }
      for (Map<String, Object> r : db.query("SELECT container, count(*) AS n FROM " + streams + " GROUP BY ALL")) {
        assertEquals(r.get("n"), page("container-" + r.get("container")), r.toString());
      }
    }
  }

  @Test
  void verdictsFeaturesPoolsMigrationAndDriftAreTheTables() throws Exception {
    try (DuckDbTables db = new DuckDbTables(out, DAY2)) {
      String security = "read_parquet('" + db.glob(AuditTables.GUEST_SECURITY) + "')";
      for (SecurityIssue i : SecurityIssue.values()) {
        for (Verdict v : Verdict.values()) {
          long n = (Long) db.query("SELECT count(*) AS n FROM " + security + " WHERE " + i.column()
              + "_verdict = '" + v.label() + "'").get(0).get("n");
          assertEquals(n, page("verdict-" + i.column() + "-" + v.label()), i + " " + v);
        }
      }
      int features = 0;
      for (Map<String, Object> r : db.query("SELECT feature, count(*) FILTER (WHERE present) AS t, "
          + "count(*) FILTER (WHERE NOT present) AS f, count(*) FILTER (WHERE present IS NULL) AS u FROM read_parquet('"
          + db.glob(AuditTables.CPUID_FEATURES) + "') GROUP BY feature")) {
        assertEquals(r.get("t"), page("feature-" + r.get("feature") + "-present"), r.toString());
        assertEquals(r.get("f"), page("feature-" + r.get("feature") + "-absent"), r.toString());
        assertEquals(r.get("u"), page("feature-" + r.get("feature") + "-unknown"), r.toString());
        features++;
      }
      assertEquals(xenaudit.policy.Features.count(), features);
      for (Map<String, Object> r : db.query("SELECT pool, any_value(guest_count) AS g, count(*) FILTER (WHERE present) AS b, "
          + "count(*) FILTER (WHERE guests_with_feature > 0 AND guests_with_feature < guest_count) AS p FROM read_parquet('"
          + db.glob(AuditTables.POOL_BASELINE) + "') GROUP BY pool")) {
        assertEquals(((Number) r.get("g")).longValue(), page("pool-" + r.get("pool") + "-guests"), r.toString());
        assertEquals(r.get("b"), page("pool-" + r.get("pool") + "-baseline"), r.toString());
        assertEquals(r.get("p"), page("pool-" + r.get("pool") + "-partial"), r.toString());
      }
      Map<String, Object> m = db.query("SELECT count(*) FILTER (WHERE compatible) AS ok, count(*) FILTER (WHERE NOT compatible) "
          + "AS blocked FROM read_parquet('" + db.glob(AuditTables.MIGRATION_CHECK) + "')").get(0);
      assertEquals(m.get("ok"), page("migration-compatible"));
      assertEquals(m.get("blocked"), page("migration-blocked"));
      assertTrue((Long) m.get("blocked") > 0 && (Long) m.get("ok") > 0, m.toString());
      long drift = 0;
      for (Map<String, Object> r : db.query("SELECT change, count(*) AS n FROM read_parquet('"
          + db.glob(AuditTables.POLICY_DRIFT) + "') GROUP BY change")) {
        assertEquals(r.get("n"), page("drift-" + r.get("change")), r.toString());
        drift += (Long) r.get("n");
      }
      assertTrue(drift > 0, "guests were added since " + DAY1);
      assertEquals(drift, page("drift-total"));
    }
  }

  @Test
  void thePageIsSelfContainedAndLatestFollowsTheNewestDate() throws Exception {
    String html = Files.readString(report(DAY2));
    for (String outside : List.of("<script", "src=", "url(", "@import", "http://", "https://", "<link")) {
      assertFalse(html.toLowerCase(java.util.Locale.ROOT).contains(outside), "the report references " + outside);
    }
    Matcher href = Pattern.compile("href=\"([^\"]*)\"").matcher(html);
    while (href.find()) {
      assertTrue(href.group(1).startsWith("#"), "a link outside the page: " + href.group(1));
    }
    assertTrue(Files.exists(report(DAY1)), "each date keeps its report");
    Path latest = out.resolve(AuditTables.REPORT).resolve("latest.html");
    assertEquals(html, Files.readString(latest), "latest.html is the newest date's report");
  }

  /** The real report in headless Chromium: it renders, fetches nothing, and its parsed DOM has every count. */
  @Test
  void chromiumRendersTheRealReport() throws Exception {
    HeadlessChromium.requireOrSkip();
    Path html = report(DAY2);
    Path scratch = java.nio.file.Files.createDirectories(work.resolve("chromium"));
    java.awt.image.BufferedImage png = HeadlessChromium.screenshot(html, scratch);
    javax.imageio.ImageIO.write(png, "png", java.nio.file.Path.of("target", "real-report.png").toFile());
    String dom = HeadlessChromium.render(html, scratch, "--dump-dom").stdout();
    assertEquals(page, counts(dom), "every count survives Chromium's parse, unchanged");
  }
}
