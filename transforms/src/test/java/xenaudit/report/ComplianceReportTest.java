package xenaudit.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.parquet.io.InputFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import xenaudit.policy.SecurityIssue;

class ComplianceReportTest {
  static final ReportHeader HEADER = new ReportHeader("2025-03-14", "run-1", "s3://audits/2025-03-14/",
      "2025-03-14T09:30:00Z", "host.txt", "2025-02-14", "s3://archive/([^/]+)/");
  private static final int IMAGES = 120;
  private static final int K = ReportFacts.LIST_LIMIT;

  @TempDir
  Path dir;

  static String render(Map<String, List<InputFile>> tables, ReportHeader header) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ComplianceReport.write(tables, header, out);
    return out.toString(StandardCharsets.UTF_8);
  }

  private static long count(List<Map<String, Object>> rows, Predicate<Map<String, Object>> p) {
    return rows.stream().filter(p).count();
  }

  @Test
  void countsOnThePageAreTheTables() throws IOException {
    ReportTables t = ReportFleet.build(IMAGES);
    String html = render(t.write(dir, 3, false), HEADER);
    Map<String, Long> ids = ReportIds.counts(html);

    List<Map<String, Object>> streams = t.rows("streams");
    assertEquals(IMAGES, ids.get("images-total"));
    for (String st : List.of("valid", "invalid", "unreadable")) {
      assertEquals(count(streams, r -> st.equals(r.get("status"))), ids.get("status-" + st), st);
    }
    assertEquals(streams.stream().map(r -> (Long) r.get("size_bytes")).filter(Objects::nonNull)
        .mapToLong(Long::longValue).sum(), ids.get("bytes-total"));
    assertEquals(count(streams, r -> r.get("size_bytes") == null), ids.get("bytes-unknown"));
    for (int minor = 10; minor < 15; minor++) {
      long m = minor;
      assertEquals(count(streams, r -> Long.valueOf(m).equals(r.get("xen_minor"))), ids.get("xen-4." + minor));
    }
    assertEquals(count(streams, r -> r.get("xen_major") == null), ids.get("xen-unknown"));
    assertEquals(count(streams, r -> "xl".equals(r.get("container"))), ids.get("container-xl"));
    assertEquals(count(streams, r -> "unknown".equals(r.get("container"))), ids.get("container-unknown"));
    assertEquals(count(streams, r -> r.get("guest_type") == null), ids.get("guest-type-unknown"));
    assertEquals(count(streams, r -> "x86_hvm".equals(r.get("guest_type"))), ids.get("guest-type-x86_hvm"));

    long bad = count(streams, r -> !"valid".equals(r.get("status")));
    assertTrue(bad > K, "the fleet has more bad archives than a list shows");
    assertEquals(bad, ids.get("bad-archives-total"));
    assertEquals(bad - K, ids.get("bad-archives-more"));
    assertTrue(html.contains("\u2026 and <span id=\"bad-archives-more\" data-value=\"" + (bad - K) + "\">"
        + (bad - K) + "</span> more archives"), "the … and N more line");

    List<Map<String, Object>> findings = t.rows("findings");
    assertEquals(findings.size(), ids.get("findings-total"));
    Map<String, Long> byCode = findings.stream().collect(Collectors.groupingBy(
        r -> "findings-" + r.get("code") + "-" + r.get("severity"), Collectors.counting()));
    byCode.forEach((id, n) -> assertEquals(n, ids.get(id), id));

    List<Map<String, Object>> security = t.rows("guest_security");
    assertEquals(security.size(), ids.get("security-rows"));
    for (SecurityIssue i : SecurityIssue.values()) {
      for (String v : ReportFleet.VERDICTS) {
        String col = i.column() + "_verdict";
        long n = count(security, r -> v.equals(r.get(col)));
        assertEquals(n, ids.get("verdict-" + i.column() + "-" + v), i + " " + v);
        if (!v.equals("not_affected")) {
          assertEquals(n > K ? n - K : null, ids.get("verdict-" + i.column() + "-" + v + "-more"), i + " " + v);
        }
      }
    }
    assertEquals(count(security, r -> r.values().contains("exposed")), ids.get("guests-any-exposed"));
    assertEquals(count(security, r -> r.values().contains("unknown")), ids.get("guests-any-unknown"));

    List<Map<String, Object>> features = t.rows("cpuid_features");
    for (String f : ReportFleet.FEATURES) {
      String id = "feature-" + Markup.id(f);
      assertEquals(count(features, r -> f.equals(r.get("feature")) && Boolean.TRUE.equals(r.get("present"))),
          ids.get(id + "-present"), f);
      assertEquals(count(features, r -> f.equals(r.get("feature")) && Boolean.FALSE.equals(r.get("present"))),
          ids.get(id + "-absent"), f);
      assertEquals(count(features, r -> f.equals(r.get("feature")) && r.get("present") == null),
          ids.get(id + "-unknown"), f);
    }
    assertTrue(ids.containsKey("feature-x%3Cy%3E%26z-present"), "a hostile feature name in id form");

    assertEquals(3, ids.get("pools-total"));
    List<Map<String, Object>> pool = t.rows("pool_baseline");
    for (String p : ReportFleet.POOLS) {
      String id = "pool-" + Markup.id(p);
      List<Map<String, Object>> rows = pool.stream().filter(r -> p.equals(r.get("pool"))).toList();
      assertEquals(rows.get(0).get("guest_count"), ids.get(id + "-guests"), p);
      assertEquals(count(rows, r -> Boolean.TRUE.equals(r.get("present"))), ids.get(id + "-baseline"), p);
      assertEquals(count(rows, r -> (Long) r.get("guests_with_feature") > 0
          && (Long) r.get("guests_with_feature") < (Long) r.get("guest_count")), ids.get(id + "-partial"), p);
    }
    assertEquals(11L, ids.get("pool-rack%2Fb%20%26%20%3Cc%3E-guests"));
    assertEquals(12L, ids.get("pool-%-guests"));

    List<Map<String, Object>> check = t.rows("migration_check");
    long blocked = count(check, r -> Boolean.FALSE.equals(r.get("compatible")));
    assertEquals(check.size() - blocked, ids.get("migration-compatible"));
    assertEquals(blocked, ids.get("migration-blocked"));
    assertEquals(count(check, r -> r.get("non_blocking_features") != null), ids.get("migration-non-blocking"));
    List<Map<String, Object>> blockers = t.rows("migration_blockers");
    assertEquals(count(blockers, r -> "avx512f".equals(r.get("feature"))), ids.get("blocker-feature-avx512f"));
    assertEquals(count(blockers, r -> "rtm".equals(r.get("feature"))), ids.get("blocker-feature-rtm"));
    assertEquals(count(blockers, r -> "vendor".equals(r.get("kind"))), ids.get("blocker-vendor"));
    assertEquals(blocked > K ? blocked - K : null, ids.get("migration-blocked-more"));

    List<Map<String, Object>> drift = t.rows("policy_drift");
    assertEquals(drift.size(), ids.get("drift-total"));
    for (String c : DriftFacts.CHANGES) {
      assertEquals(count(drift, r -> c.equals(r.get("change"))), ids.get("drift-" + c), c);
    }
    assertEquals(drift.size() - K, ids.get("drift-more"));
  }

  @Test
  void listedArchivesShowTheirFirstErrorsInStreamOrder() throws IOException {
    ReportTables t = ReportFleet.build(IMAGES);
    String html = render(t.write(dir, 2, false), HEADER);
    List<String> listed = t.rows("streams").stream().filter(r -> !"valid".equals(r.get("status")))
        .map(r -> (String) r.get("source_uri")).sorted().limit(K).toList();
    String uri4 = ReportFleet.uri(4);
    assertTrue(listed.contains(uri4));
    // Image 4 has 5 errors at offsets 1000, 900, ..., 600 (error 0 .. 4): the first three are 4, 3, 2.
    String row = tableRow(html, Markup.text(uri4));
    int e4 = row.indexOf(Markup.text("error 4 of " + uri4));
    int e3 = row.indexOf(Markup.text("error 3 of " + uri4));
    int e2 = row.indexOf(Markup.text("error 2 of " + uri4));
    assertTrue(e4 > 0 && e3 > e4 && e2 > e3, row);
    assertFalse(row.contains(Markup.text("error 1 of " + uri4)), row);
    assertTrue(row.contains("\u2026 and 2 more errors"), row);
    assertTrue(row.contains("at byte 600, record 3") || row.contains("at byte 700, record 3"), row);

    // An archive past the list is not shown, nor are its findings.
    List<String> all = t.rows("streams").stream().filter(r -> !"valid".equals(r.get("status")))
        .map(r -> (String) r.get("source_uri")).sorted().toList();
    String unlisted = all.get(all.size() - 1);
    assertFalse(html.contains(Markup.text(unlisted)), unlisted);
    // Listed archives are in source_uri order.
    int last = -1;
    for (String u : listed) {
      int at = html.indexOf("<td class=\"uri\">" + Markup.text(u));
      assertTrue(at > last, u);
      last = at;
    }
  }

  private static String tableRow(String html, String cellText) {
    int at = html.indexOf("<td class=\"uri\">" + cellText);
    assertTrue(at >= 0, cellText);
    return html.substring(at, html.indexOf("</tr>", at));
  }

  @Test
  void dataIsEscaped() throws IOException {
    ReportTables t = ReportFleet.build(IMAGES);
    ReportHeader hostile = new ReportHeader("2025-03-14", "run <b>&\"", "/tmp/out <i>", "2025-03-14T09:30:00Z",
        "t<'>.txt", null, "(<x>)");
    String html = render(t.write(dir, 2, false), hostile);
    assertFalse(html.contains(ReportFleet.HOSTILE), "raw hostile guest name");
    assertFalse(html.contains(ReportFleet.HOSTILE_URI), "raw hostile uri");
    assertFalse(html.contains("<b>&\""));
    assertFalse(html.contains("<i>"));
    assertFalse(html.contains("<x>"));
    assertFalse(html.contains("expected <8>"));
    assertTrue(html.contains(Markup.text(ReportFleet.HOSTILE_URI)), "the hostile uri, escaped");
    assertTrue(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &quot;q&quot; &amp; &#39;a&#39;"),
        "the hostile name, escaped");
    assertTrue(html.contains("expected &lt;8&gt; &amp; found &quot;7&quot;"));
    assertTrue(html.contains("run &lt;b&gt;&amp;&quot;"));
    assertSelfContained(html);
  }

  @Test
  void pageIsSelfContained() throws IOException {
    assertSelfContained(render(ReportFleet.build(IMAGES).write(dir, 2, false), HEADER));
  }

  static void assertSelfContained(String html) {
    String lower = html.toLowerCase(java.util.Locale.ROOT);
    assertFalse(lower.contains("<script"), "<script");
    assertFalse(lower.contains("<link"), "<link");
    assertFalse(lower.contains("<iframe") || lower.contains("<object") || lower.contains("<embed"), "embedded");
    assertFalse(Pattern.compile("\\bsrc\\s*=").matcher(lower).find(), "src=");
    assertFalse(lower.contains("url("), "url(");
    assertFalse(lower.contains("@import"), "@import");
    assertFalse(lower.contains("@font-face"), "@font-face");
    assertFalse(lower.contains("http://") || lower.contains("https://"), "http(s)://");
    assertFalse(lower.contains("xlink:"), "xlink");
    Matcher href = Pattern.compile("\\bhref\\s*=\\s*\"([^\"]*)\"").matcher(lower);
    int n = 0;
    while (href.find()) {
      assertTrue(href.group(1).startsWith("#"), "href " + href.group(1));
      n++;
    }
    assertTrue(n > 0, "the table of contents links to its sections");
    assertFalse(Pattern.compile("\\bhref\\s*=\\s*[^\"\\s]").matcher(lower).find(), "unquoted href");
    assertFalse(lower.contains("javascript:"));
    assertFalse(Pattern.compile("\\son[a-z]+\\s*=").matcher(lower).find(), "event handler attribute");
    assertTrue(html.startsWith("<!DOCTYPE html>"));
    assertTrue(html.contains("<meta charset=\"utf-8\">"));
    assertTrue(lower.contains("@media print"));
  }

  @Test
  void sameTablesGiveTheSamePageWhateverTheFileOrder() throws IOException {
    ReportTables t = ReportFleet.build(IMAGES);
    String a = render(t.write(dir.resolve("a"), 3, false), HEADER);
    String b = render(t.write(dir.resolve("b"), 3, true), HEADER);
    String c = render(t.write(dir.resolve("c"), 1, false), HEADER);
    assertEquals(a, b);
    assertEquals(a, c);
    assertEquals(a, render(t.write(dir.resolve("a"), 3, false), HEADER));
  }

  @Test
  void tablesNotProducedSaySo() throws IOException {
    ReportTables t = ReportFleet.build(30);
    Map<String, List<InputFile>> all = t.write(dir, 2, false);
    Map<String, List<InputFile>> some = new HashMap<>(all);
    for (String table : List.of("pool_baseline", "migration_check", "migration_blockers", "policy_drift")) {
      some.remove(table);
    }
    String html = render(some, new ReportHeader("2025-03-14", "run-1", "/out", "2025-03-14T09:30:00Z", null,
        null, null));
    Map<String, Long> ids = ReportIds.counts(html);
    assertFalse(ids.containsKey("pools-total"));
    assertFalse(ids.containsKey("migration-blocked"));
    assertFalse(ids.containsKey("drift-total"));
    assertEquals(30L, ids.get("images-total"));
    for (String table : List.of("pool_baseline", "migration_check", "policy_drift")) {
      assertTrue(html.contains("Table <code>" + table + "</code> was not produced in this run (give --poolKey / "
          + "--targetPolicy / --previousOutput"), table);
    }
    assertSelfContained(html);
  }

  @Test
  void emptyTablesAndNoTables() throws IOException {
    ReportTables empty = new ReportTables();
    for (String table : List.of("streams", "findings", "guest_security", "cpuid_features", "pool_baseline",
        "migration_check", "migration_blockers", "policy_drift")) {
      empty.table(table);
    }
    String html = render(empty.write(dir, 1, false), HEADER);
    Map<String, Long> ids = ReportIds.counts(html);
    assertEquals(0L, ids.get("images-total"));
    assertEquals(0L, ids.get("status-valid"));
    assertEquals(0L, ids.get("verdict-taa-exposed"));
    assertEquals(0L, ids.get("pools-total"));
    assertEquals(0L, ids.get("migration-blocked"));
    assertEquals(0L, ids.get("drift-guest_new"));
    assertSelfContained(html);

    String none = render(Map.of(), HEADER);
    assertTrue(none.contains("Table <code>streams</code> was not produced in this run"));
    assertSelfContained(none);
  }

  @Test
  void pageSizeDoesNotGrowWithTheFleet() throws IOException {
    int small = render(ReportFleet.build(200).write(dir.resolve("small"), 2, false), HEADER).length();
    int large = render(ReportFleet.build(2000).write(dir.resolve("large"), 2, false), HEADER).length();
    assertTrue(large < small * 1.05, small + " vs " + large);
  }

  @Test
  void manyCategoriesAreCapped() throws IOException {
    ReportTables t = new ReportTables();
    for (int i = 0; i < 80; i++) {
      Map<String, Object> s = new HashMap<>();
      s.put("source_uri", "s3://a/" + i);
      s.put("container", "c" + (100 + i));
      s.put("xen_major", 4L);
      s.put("xen_minor", (long) i);
      s.put("guest_id", "g" + i);
      s.put("status", "valid");
      t.add("streams", s);
    }
    String html = render(t.write(dir, 2, false), HEADER);
    Map<String, Long> ids = ReportIds.counts(html);
    assertEquals(80L, ids.get("images-total"));
    assertEquals(1L, ids.get("xen-4.49"));
    assertFalse(ids.containsKey("xen-4.50"));
    assertEquals(1L, ids.get("container-c149"));
    assertFalse(ids.containsKey("container-c150"));
    assertTrue(html.contains("other values (past the first 50)</td><td class=\"num\" data-value=\"30\">30</td>"));
  }

  @Test
  void manyPoolsShowTheSmallestNamesWhateverTheOrder() throws IOException {
    ReportTables t = new ReportTables();
    int pools = ReportFacts.POOL_LIMIT + 7;
    for (int p = pools - 1; p >= 0; p--) {
      for (String f : List.of("sse2", "avx512f")) {
        Map<String, Object> b = new HashMap<>();
        b.put("pool", String.format("p%03d", p));
        b.put("feature", f);
        b.put("present", f.equals("sse2"));
        b.put("guest_count", 3L);
        b.put("guests_with_feature", f.equals("sse2") ? 3L : 1L);
        t.add("pool_baseline", b);
      }
    }
    String a = render(t.write(dir.resolve("a"), 3, false), HEADER);
    assertEquals(a, render(t.write(dir.resolve("b"), 2, true), HEADER));
    Map<String, Long> ids = ReportIds.counts(a);
    assertEquals((long) pools, ids.get("pools-total"));
    assertEquals(7L, ids.get("pools-more"));
    assertEquals(3L, ids.get("pool-p099-guests"));
    assertEquals(1L, ids.get("pool-p099-baseline"));
    assertEquals(1L, ids.get("pool-p099-partial"));
    assertFalse(ids.containsKey("pool-p100-guests"));
  }
}
