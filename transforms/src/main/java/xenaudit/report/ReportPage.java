package xenaudit.report;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import xenaudit.policy.SecurityFeatures;
import xenaudit.policy.SecurityIssue;
import xenaudit.policy.Verdict;

/**
 * Renders {@link ReportFacts} as one self-contained HTML page: inline CSS and SVG, no script, no
 * reference to anything outside the page but its own {@code #anchors}. Every string from the data
 * goes through {@link Markup#text}; every count is exact.
 */
final class ReportPage {
  /** Features charted besides the security-relevant ones: the most widespread. */
  static final int TOP_OTHER_FEATURES = 40;
  /** Blocker kinds listed, the most frequent first. */
  static final int TOP_BLOCKERS = 40;

  private final ReportFacts facts;
  private final ReportHeader header;
  private final StringBuilder h = new StringBuilder(1 << 16);

  private ReportPage(ReportFacts facts, ReportHeader header) {
    this.facts = facts;
    this.header = header;
  }

  static String render(ReportFacts facts, ReportHeader header) {
    ReportPage p = new ReportPage(facts, header);
    p.page();
    return p.h.toString();
  }

  // ---- page ------------------------------------------------------------------------------------

  private void page() {
    raw("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    raw("<meta name=\"generator\" content=\"xenaudit\">\n");
    raw("<title>Xen image audit ").text(header.auditDate()).raw(" \u2014 compliance report</title>\n");
    raw("<style>\n").raw(ReportStyle.CSS).raw("</style>\n</head>\n<body>\n<main>\n");
    head();
    contents();
    keyFigures();
    fleet();
    archives();
    security();
    features();
    pools();
    migration();
    drift();
    about();
    raw("<footer><p>xenaudit compliance report \u00b7 run <span class=\"mono\">").text(header.runId())
        .raw("</span> \u00b7 generated ").text(header.generatedAt()).raw(" \u00b7 <a href=\"#top\">back to top</a></p>")
        .raw("</footer>\n</main>\n</body>\n</html>\n");
  }

  private void head() {
    raw("<header class=\"report-head\" id=\"top\">\n");
    raw("<p class=\"kicker\">xenaudit \u00b7 compliance report</p>\n");
    raw("<h1>Xen migration image audit of ").text(header.auditDate()).raw("</h1>\n");
    raw("<dl class=\"meta\">\n");
    meta("Audit date", header.auditDate(), "meta-audit-date", false);
    meta("Run id", header.runId(), "meta-run-id", true);
    meta("Output", header.output(), "meta-output", true);
    meta("Generated at", header.generatedAt(), "meta-generated-at", false);
    meta("Target policy", header.target() == null ? "none (no --targetPolicy)" : header.target(), "meta-target",
        header.target() != null);
    meta("Drift baseline", header.previousAuditDate() == null ? "none (no --previousOutput)"
        : "audit of " + header.previousAuditDate(), "meta-previous-audit-date", false);
    meta("Pool key", header.poolKey() == null ? "none (no --poolKey)" : header.poolKey(), "meta-pool-key",
        header.poolKey() != null);
    raw("</dl>\n");
    raw("<p class=\"howto\"><strong>How to read this.</strong> Every count is exact and covers every image of this "
        + "run. Lists show at most ").raw(ReportFacts.LIST_LIMIT).raw(" entries, the first by name; "
        + "\u201c\u2026 and N more\u201d gives the exact number left out and the table and column that hold the "
        + "full list (the README\u2019s example queries show how to read them). Security verdicts describe what "
        + "each guest\u2019s kernel can see in the CPU policy saved with it: <em>exposed</em> means the CPU it sees "
        + "is affected and it sees no mitigation it can use itself; <em>unknown</em> means the image does not "
        + "record a bit the verdict depends on.</p>\n");
    raw("</header>\n");
  }

  private void meta(String label, String value, String id, boolean mono) {
    raw("<div><dt>").raw(label).raw("</dt><dd id=\"").raw(id).raw("\"").raw(mono ? " class=\"mono\"" : "")
        .raw(">").text(value == null ? "\u2014" : value).raw("</dd></div>\n");
  }

  private void contents() {
    raw("<nav class=\"toc\" aria-label=\"Contents\"><h2>Contents</h2><ol>\n");
    tocItem("fleet", "Fleet summary", null);
    tocItem("archives", "Invalid and unreadable archives", null);
    tocItem("security", "Security verdicts", null);
    tocItem("features", "Feature exposure", null);
    tocItem("pools", "Pools", ReportFacts.POOL_BASELINE);
    tocItem("migration", "Migration check", ReportFacts.MIGRATION_CHECK);
    tocItem("drift", "Drift since the previous audit", ReportFacts.POLICY_DRIFT);
    tocItem("about", "About this report", null);
    raw("</ol></nav>\n");
  }

  private void tocItem(String anchor, String title, String table) {
    raw("<li><a href=\"#").raw(anchor).raw("\">").raw(title).raw("</a>");
    if (table != null && !facts.produced(table)) {
      raw(" <span class=\"dim\">(not produced in this run)</span>");
    }
    raw("</li>\n");
  }

  private void keyFigures() {
    FleetFacts f = facts.fleet;
    long bad = f.bad.offered();
    raw("<section class=\"keyfigs\" aria-label=\"Key figures\">\n");
    figure("Images audited", f.images, null, "neutral");
    figure("Valid", f.status.get("valid"), null, "ok");
    figure("Invalid or unreadable", bad, "#archives", bad > 0 ? "bad" : "ok");
    if (facts.produced(ReportFacts.GUEST_SECURITY)) {
      figure("Guests exposed to at least one issue", facts.security.anyExposed, "#security",
          facts.security.anyExposed > 0 ? "bad" : "ok");
    }
    if (facts.produced(ReportFacts.MIGRATION_CHECK)) {
      long blocked = facts.migration.blockedCount();
      figure("Guests blocked from the target", blocked, "#migration", blocked > 0 ? "warn" : "ok");
    }
    if (facts.produced(ReportFacts.POLICY_DRIFT)) {
      figure("Policy changes since the previous audit", facts.drift.changes.total(), "#drift", "neutral");
    }
    raw("</section>\n");
  }

  private void figure(String label, long value, String link, String tone) {
    raw("<div class=\"card fig ").raw(tone).raw("\"><div class=\"fig-value\">").raw(num(value))
        .raw("</div><div class=\"fig-label\">");
    if (link != null) {
      raw("<a href=\"").raw(link).raw("\">").raw(label).raw("</a>");
    } else {
      raw(label);
    }
    raw("</div></div>\n");
  }

  // ---- 1. fleet --------------------------------------------------------------------------------

  private void fleet() {
    section("fleet", "1. Fleet summary");
    if (!facts.produced(ReportFacts.STREAMS)) {
      notProduced("streams", null);
      endSection();
      return;
    }
    FleetFacts f = facts.fleet;
    raw("<p class=\"lead\"><span id=\"images-total\" data-value=\"").raw(f.images).raw("\">").raw(num(f.images))
        .raw("</span> images audited (table <code>streams</code>, one row per object), ")
        .raw("<span id=\"bytes-total\" data-value=\"").raw(f.bytes).raw("\">").raw(num(f.bytes)).raw("</span> bytes")
        .raw(f.bytes >= 1024 ? " (" + bytes(f.bytes) + ")" : "").raw(" in total");
    if (f.sizeUnknown > 0) {
      raw(", not counting <span id=\"bytes-unknown\" data-value=\"").raw(f.sizeUnknown).raw("\">")
          .raw(num(f.sizeUnknown)).raw("</span> objects whose size could not be read");
    }
    raw(".</p>\n");

    List<SvgCharts.Part> parts = List.of(
        new SvgCharts.Part(f.status.get("valid"), "s-valid", "valid"),
        new SvgCharts.Part(f.status.get("invalid"), "s-invalid", "invalid"),
        new SvgCharts.Part(f.status.get("unreadable"), "s-unreadable", "unreadable"));
    statusBar(parts, "Images by status");

    raw("<div class=\"grid\">\n");
    raw("<div class=\"card\"><h3>By status</h3><table class=\"small\"><thead><tr><th>Status</th>"
        + "<th class=\"num\">Images</th><th class=\"num\">Share</th></tr></thead><tbody>\n");
    Set<String> fixed = Set.of("valid", "invalid", "unreadable");
    for (String st : List.of("valid", "invalid", "unreadable")) {
      long n = f.status.get(st);
      raw("<tr><td>").raw(badge(st)).raw("</td>").raw(countCell("status-" + st, n)).raw("<td class=\"num dim\">")
          .raw(share(n, f.images)).raw("</td></tr>\n");
    }
    for (CappedCounter.Entry<String> e : f.status.byKey()) {
      if (!fixed.contains(e.key())) {
        raw("<tr><td>").text(e.key()).raw("</td>").raw(countCell("status-" + Markup.id(e.key()), e.count()))
            .raw("<td class=\"num dim\">").raw(share(e.count(), f.images)).raw("</td></tr>\n");
      }
    }
    otherRow(f.status.other(), f.images, 3);
    raw("</tbody><tfoot><tr><th>Total</th><td class=\"num\">").raw(num(f.images))
        .raw("</td><td></td></tr></tfoot></table></div>\n");

    categoryCard("By Xen version of the saving host", "Xen", f.xen.byKey().stream()
        .map(e -> new Category(e.key().label(), "xen-" + Markup.id(e.key().key()), e.count())).toList(),
        f.xen.other(), f.images);
    categoryCard("By container", "Container", f.container.byCount().stream()
        .map(e -> new Category(e.key(), "container-" + Markup.id(e.key()), e.count())).toList(),
        f.container.other(), f.images);
    categoryCard("By guest type", "Guest type", f.guestType.byCount().stream()
        .map(e -> new Category(e.key(), "guest-type-" + Markup.id(e.key()), e.count())).toList(),
        f.guestType.other(), f.images);
    raw("</div>\n");
    endSection();
  }

  private record Category(String label, String id, long count) {}

  /** A full-width stacked bar with a legend of the exact counts under it. */
  private void statusBar(List<SvgCharts.Part> parts, String label) {
    long total = 0;
    for (SvgCharts.Part p : parts) {
      total += p.count();
    }
    raw("<div class=\"status-bar\">").raw(SvgCharts.stackedBar(parts, 1000, 20, label, true))
        .raw("<div class=\"legend\">");
    for (SvgCharts.Part p : parts) {
      raw("<span><span class=\"swatch ").raw(p.cssClass()).raw("\"></span>").text(p.label()).raw(" ")
          .raw(num(p.count())).raw(" <span class=\"faint\">(").raw(share(p.count(), total)).raw(")</span></span>");
    }
    raw("</div></div>\n");
  }

  private void categoryCard(String title, String column, List<Category> rows, long other, long total) {
    raw("<div class=\"card\"><h3>").raw(title).raw("</h3><table class=\"small\"><thead><tr><th>").raw(column)
        .raw("</th><th class=\"num\">Images</th><th class=\"num\">Share</th></tr></thead><tbody>\n");
    for (Category c : rows) {
      raw("<tr><td>").text(c.label()).raw("</td>").raw(countCell(c.id(), c.count())).raw("<td class=\"num dim\">")
          .raw(share(c.count(), total)).raw("</td></tr>\n");
    }
    otherRow(other, total, 3);
    if (rows.isEmpty() && other == 0) {
      raw("<tr><td colspan=\"3\" class=\"dim\">no images</td></tr>\n");
    }
    raw("</tbody></table></div>\n");
  }

  private void otherRow(long other, long total, int columns) {
    if (other > 0) {
      raw("<tr><td class=\"dim\">other values (past the first ").raw(ReportFacts.CATEGORY_CAP)
          .raw(")</td><td class=\"num\" data-value=\"").raw(other).raw("\">").raw(num(other)).raw("</td>");
      if (columns == 3) {
        raw("<td class=\"num dim\">").raw(share(other, total)).raw("</td>");
      }
      raw("</tr>\n");
    }
  }

  // ---- 2. archives -----------------------------------------------------------------------------

  private void archives() {
    section("archives", "2. Invalid and unreadable archives");
    if (!facts.produced(ReportFacts.STREAMS)) {
      notProduced("streams", null);
      endSection();
      return;
    }
    FleetFacts f = facts.fleet;
    long bad = f.bad.offered();
    raw("<p class=\"lead\"><span id=\"bad-archives-total\" data-value=\"").raw(bad).raw("\">").raw(num(bad))
        .raw("</span> of ").raw(num(f.images)).raw(" images are invalid (at least one error finding) or unreadable "
            + "(the object could not be read).</p>\n");
    if (bad > 0) {
      raw("<table class=\"list archives\"><thead><tr><th class=\"num\">#</th><th>Archive</th><th>Status</th>"
          + "<th class=\"num\">Errors</th><th class=\"num\">Warnings</th><th>First errors</th></tr></thead><tbody>\n");
      int i = 0;
      for (FleetFacts.BadArchive a : f.bad.sorted()) {
        i++;
        raw("<tr><td class=\"num dim\">").raw(i).raw("</td><td class=\"uri\">").text(a.sourceUri());
        if (a.guestName() != null && !a.guestName().isEmpty()) {
          raw("<div class=\"sub\">guest ").text(a.guestName()).raw("</div>");
        }
        raw("</td><td>").raw(badge(a.status())).raw("</td><td class=\"num\">").raw(num(a.errorCount()))
            .raw("</td><td class=\"num\">").raw(num(a.warningCount())).raw("</td><td class=\"findings\">");
        List<FindingFacts.Finding> first = facts.findings.firstErrors(a.sourceUri());
        if (first.isEmpty()) {
          raw("<span class=\"dim\">").raw(facts.produced(ReportFacts.FINDINGS) ? "no error finding recorded"
              : "findings not produced").raw("</span>");
        } else {
          raw("<ol class=\"first\">");
          for (FindingFacts.Finding x : first) {
            raw("<li><span class=\"code\">").text(x.code()).raw("</span> <span class=\"dim\">at byte ")
                .raw(num(x.byteOffset()));
            if (x.recordIndex() != null) {
              raw(", record ").raw(num(x.recordIndex()));
            }
            if (!x.layer().isEmpty() || !x.recordType().isEmpty()) {
              raw(" (").text(x.layer()).raw(x.layer().isEmpty() || x.recordType().isEmpty() ? "" : " ")
                  .text(x.recordType()).raw(")");
            }
            raw("</span><div class=\"msg\">").text(x.message()).raw("</div></li>");
          }
          raw("</ol>");
          long moreErrors = Math.max(a.errorCount(), facts.findings.errorsSeen(a.sourceUri())) - first.size();
          if (moreErrors > 0) {
            raw("<div class=\"dim\">\u2026 and ").raw(num(moreErrors)).raw(" more error")
                .raw(moreErrors == 1 ? "" : "s").raw("</div>");
          }
        }
        raw("</td></tr>\n");
      }
      raw("</tbody></table>\n");
      more("bad-archives-more", f.bad.more(), "archives",
          "<code>streams</code> where <code>status &lt;&gt; 'valid'</code>, their findings in <code>findings</code> "
              + "(by <code>source_uri</code>)");
    }

    raw("<h3 id=\"findings\">Findings by code and severity</h3>\n");
    if (!facts.produced(ReportFacts.FINDINGS)) {
      notProduced("findings", null);
    } else if (facts.findings.byCode.total() == 0) {
      raw("<p class=\"dim\">No findings in this run.</p>\n");
    } else {
      List<CappedCounter.Entry<FindingFacts.CodeSeverity>> rows = new ArrayList<>(facts.findings.byCode.byKey());
      rows.sort(Comparator.comparingInt((CappedCounter.Entry<FindingFacts.CodeSeverity> e) ->
              severityRank(e.key().severity()))
          .thenComparing(Comparator.comparingLong((CappedCounter.Entry<FindingFacts.CodeSeverity> e) -> e.count())
              .reversed())
          .thenComparing(CappedCounter.Entry::key));
      raw("<p>Over the whole fleet (table <code>findings</code>, <span id=\"findings-total\" data-value=\"")
          .raw(facts.findings.byCode.total()).raw("\">").raw(num(facts.findings.byCode.total()))
          .raw("</span> findings). An image with an error is invalid; warnings and notes do not change its "
              + "status.</p>\n");
      raw("<table class=\"small codes\"><thead><tr><th>Code</th><th>Severity</th><th class=\"num\">Findings</th>"
          + "</tr></thead><tbody>\n");
      for (CappedCounter.Entry<FindingFacts.CodeSeverity> e : rows) {
        raw("<tr><td class=\"code\">").text(e.key().code()).raw("</td><td>").raw(severity(e.key().severity()))
            .raw("</td>").raw(countCell("findings-" + Markup.id(e.key().code()) + "-" + Markup.id(e.key().severity()),
                e.count())).raw("</tr>\n");
      }
      if (facts.findings.byCode.other() > 0) {
        raw("<tr><td class=\"dim\" colspan=\"2\">other codes (past the first ").raw(ReportFacts.CODE_CAP)
            .raw(")</td><td class=\"num\">").raw(num(facts.findings.byCode.other())).raw("</td></tr>\n");
      }
      raw("</tbody></table>\n");
    }
    endSection();
  }

  private static int severityRank(String severity) {
    return switch (severity) {
      case "error" -> 0;
      case "warning" -> 1;
      case "info" -> 2;
      default -> 3;
    };
  }

  private static String severity(String s) {
    String cls = switch (s) {
      case "error" -> "sev-error";
      case "warning" -> "sev-warning";
      default -> "sev-info";
    };
    return "<span class=\"sev " + cls + "\">" + Markup.text(s) + "</span>";
  }

  // ---- 3. security -----------------------------------------------------------------------------

  private static String issueName(SecurityIssue i) {
    return i.displayName();
  }

  private static String issueTitle(SecurityIssue i) {
    return i.title() + ", " + i.advisory();
  }

  private static String verdictName(Verdict v) {
    return switch (v) {
      case NOT_AFFECTED -> "Not affected";
      case MITIGATION_AVAILABLE -> "Mitigation available";
      case EXPOSED -> "Exposed";
      case UNKNOWN -> "Unknown";
    };
  }

  private static String verdictClass(Verdict v) {
    return "v-" + v.label().replace('_', '-');
  }

  private void security() {
    section("security", "3. Security verdicts");
    if (!facts.produced(ReportFacts.GUEST_SECURITY)) {
      notProduced("guest_security", null);
      endSection();
      return;
    }
    SecurityFacts s = facts.security;
    raw("<p class=\"lead\">Table <code>guest_security</code>, one row per audited image (<span id=\"security-rows\" "
        + "data-value=\"").raw(s.rows).raw("\">").raw(num(s.rows)).raw("</span>). <span id=\"guests-any-exposed\" "
        + "data-value=\"").raw(s.anyExposed).raw("\">").raw(num(s.anyExposed))
        .raw("</span> are exposed to at least one issue; <span id=\"guests-any-unknown\" data-value=\"")
        .raw(s.anyUnknown).raw("\">").raw(num(s.anyUnknown))
        .raw("</span> have at least one unknown verdict (an image without a CPU policy is unknown for all ")
        .raw(SecurityIssue.values().length).raw(").</p>\n");
    raw("<p class=\"dim\">Guests by vendor: ");
    boolean firstVendor = true;
    for (String v : SecurityFacts.VENDORS) {
      raw(firstVendor ? "" : ", ").raw(v).raw(" <span id=\"vendor-").raw(v).raw("\" data-value=\"")
          .raw(s.vendorCount(v)).raw("\">").raw(num(s.vendorCount(v))).raw("</span>");
      firstVendor = false;
    }
    raw(". Issues are grouped by the CPUs they can affect; a group no guest of this run can be affected by is "
        + "folded.</p>\n");
    legend();
    for (SecurityIssue.Scope scope : SecurityIssue.Scope.values()) {
      List<SecurityIssue> issues = issuesOf(scope);
      long concerned = s.concerned(scope);
      boolean fold = concerned == 0;
      raw("<div class=\"scope\" id=\"scope-").raw(scope.name().toLowerCase(java.util.Locale.ROOT)).raw("\">");
      if (fold) {
        raw("<details><summary>").raw(scope.title()).raw(": ").raw(issues.size())
            .raw(" issues \u2014 no guest of this run has such a CPU").raw(s.unknownVendor() > 0
                ? " (guests without a CPU policy are unknown here as everywhere)" : "").raw("</summary>\n");
      } else {
        raw("<h3>").raw(scope.title()).raw(" <span class=\"dim\">(").raw(num(concerned))
            .raw(concerned == 1 ? " guest" : " guests").raw(" with such a CPU)</span></h3>\n");
      }
      verdictTable(s, issues);
      if (fold) {
        raw("</details>");
      }
      raw("</div>\n");
    }
    boolean anyOther = false;
    for (SecurityIssue i : SecurityIssue.values()) {
      anyOther |= s.otherVerdicts(i) > 0;
    }
    if (anyOther) {
      raw("<p class=\"dim\">Some rows hold a verdict outside the four above: ");
      boolean first = true;
      for (SecurityIssue i : SecurityIssue.values()) {
        if (s.otherVerdicts(i) > 0) {
          raw(first ? "" : ", ").raw(issueName(i)).raw(" ").raw(num(s.otherVerdicts(i)));
          first = false;
        }
      }
      raw(".</p>\n");
    }

    raw("<h3>Guests behind each verdict</h3>\n<p class=\"dim\">For each issue, the guests whose verdict is exposed, "
        + "unknown or mitigation available, with the reason the audit gives (first ").raw(ReportFacts.LIST_LIMIT)
        .raw(" by guest id). Guests not affected are not listed. The column <code>X_sysfs</code> of "
        + "<code>guest_security</code> holds what each guest\u2019s Linux prints for the issue.</p>\n");
    for (SecurityIssue.Scope scope : SecurityIssue.Scope.values()) {
      boolean fold = s.concerned(scope) == 0;
      if (fold) {
        raw("<details class=\"scope-guests\"><summary>").raw(scope.title()).raw(": the guests behind ")
            .raw(issuesOf(scope).size()).raw(" issues no guest of this run can be affected by</summary>\n");
      }
      for (SecurityIssue i : issuesOf(scope)) {
        issueGuests(s, i);
      }
      if (fold) {
        raw("</details>\n");
      }
    }
    endSection();
  }

  private static List<SecurityIssue> issuesOf(SecurityIssue.Scope scope) {
    List<SecurityIssue> out = new ArrayList<>();
    for (SecurityIssue i : SecurityIssue.values()) {
      if (i.scope() == scope) {
        out.add(i);
      }
    }
    return out;
  }

  private void verdictTable(SecurityFacts s, List<SecurityIssue> issues) {
    raw("<table class=\"verdicts\"><thead><tr><th>Issue</th>");
    for (Verdict v : Verdict.values()) {
      raw("<th class=\"num\">").raw(verdictName(v)).raw("</th>");
    }
    raw("<th class=\"dist\">Distribution</th></tr></thead><tbody>\n");
    for (SecurityIssue i : issues) {
      raw("<tr><th scope=\"row\"><a href=\"#issue-").raw(i.column()).raw("\">").raw(issueName(i))
          .raw("</a><div class=\"sub\">").raw(issueTitle(i)).raw("</div></th>");
      List<SvgCharts.Part> parts = new ArrayList<>();
      for (Verdict v : Verdict.values()) {
        long n = s.count(i, v);
        String cell = countCell("verdict-" + i.column() + "-" + v.label(), n, n > 0 ? verdictClass(v) + "-text" : "dim");
        if (n > 0 && SecurityFacts.LISTED.contains(v)) {
          cell = cell.replace("\">" + num(n) + "</td>", "\"><a href=\"#guests-" + i.column() + "-" + v.label() + "\">"
              + num(n) + "</a></td>");
        }
        raw(cell);
        parts.add(new SvgCharts.Part(n, verdictClass(v), verdictName(v)));
      }
      raw("<td class=\"dist\">").raw(SvgCharts.stackedBar(parts, 200, 14, issueName(i) + " verdicts"))
          .raw("</td></tr>\n");
    }
    raw("</tbody></table>\n");
  }

  private void issueGuests(SecurityFacts s, SecurityIssue i) {
    raw("<div class=\"issue\" id=\"issue-").raw(i.column()).raw("\"><h4>").raw(issueName(i))
        .raw(" <span class=\"dim\">\u2014 ").raw(issueTitle(i)).raw("; Linux: <code>").raw(i.sysfsFile())
        .raw("</code></span></h4>\n");
    boolean listed = false;
    for (Verdict v : SecurityFacts.LISTED) {
      SmallestK<SecurityFacts.Guest> g = s.guests(i, v);
      if (g.offered() == 0) {
        continue;
      }
      listed = true;
      raw("<details open class=\"guests\" id=\"guests-").raw(i.column()).raw("-").raw(v.label())
          .raw("\"><summary><span class=\"vbadge ").raw(verdictClass(v)).raw("\">")
          .raw(verdictName(v)).raw("</span> ").raw(num(g.offered())).raw(g.offered() == 1 ? " guest" : " guests")
          .raw("</summary>\n<table class=\"list compact\"><colgroup><col class=\"c-id\"><col class=\"c-uri\"><col>"
              + "</colgroup><thead><tr><th>Guest id</th><th>Image</th><th>Reason</th></tr></thead><tbody>\n");
      for (SecurityFacts.Guest x : g.sorted()) {
        raw("<tr>").raw(guestCell(x.guestId(), x.sourceUri())).raw("<td class=\"uri\">").text(x.sourceUri())
            .raw("</td><td>").text(x.reason()).raw("</td></tr>\n");
      }
      raw("</tbody></table>\n");
      more("verdict-" + i.column() + "-" + v.label() + "-more", g.more(), "guests",
          "<code>guest_security</code> where <code>" + i.column() + "_verdict = '" + v.label() + "'</code>");
      raw("</details>\n");
    }
    if (!listed) {
      raw("<p class=\"dim\">Every guest is not affected.</p>\n");
    }
    raw("</div>\n");
  }

  private void legend() {
    raw("<div class=\"legend\">");
    for (Verdict v : Verdict.values()) {
      raw("<span><span class=\"swatch ").raw(verdictClass(v)).raw("\"></span>").raw(verdictName(v)).raw("</span>");
    }
    raw("</div>\n");
  }

  // ---- 4. features -----------------------------------------------------------------------------

  private void features() {
    section("features", "4. Feature exposure");
    if (!facts.produced(ReportFacts.CPUID_FEATURES)) {
      notProduced("cpuid_features", null);
      endSection();
      return;
    }
    CappedCounter<String> c = facts.features.features;
    List<CappedCounter.Entry<String>> all = c.byKey();
    if (all.isEmpty()) {
      raw("<p class=\"dim\">No feature rows in this run.</p>\n");
      endSection();
      return;
    }
    long scale = 0;
    for (CappedCounter.Entry<String> e : all) {
      scale = Math.max(scale, e.sum());
    }
    raw("<p class=\"lead\">What the guests\u2019 CPU policies hand them, feature by feature (table "
        + "<code>cpuid_features</code>, Xen\u2019s names): <em>present</em>, <em>absent</em>, or <em>unknown</em> "
        + "where the image does not record it (no CPU policy, or a leaf or MSR missing). ")
        .raw(num(all.size())).raw(" features over ").raw(num(scale)).raw(" images.</p>\n");
    raw("<div class=\"legend\"><span><span class=\"swatch f-present\"></span>Present</span>"
        + "<span><span class=\"swatch f-absent\"></span>Absent</span>"
        + "<span><span class=\"swatch f-unknown\"></span>Unknown</span></div>\n");

    Set<String> security = new HashSet<>(SecurityFeatures.COLUMNS);
    List<CappedCounter.Entry<String>> sec = new ArrayList<>();
    List<CappedCounter.Entry<String>> others = new ArrayList<>();
    for (CappedCounter.Entry<String> e : all) {
      (security.contains(e.key()) ? sec : others).add(e);
    }
    sec.sort(FeatureFacts.EXPOSURE);
    others.sort(FeatureFacts.EXPOSURE);
    if (!sec.isEmpty()) {
      raw("<figure class=\"card\"><figcaption>Security-relevant features (the ").raw(sec.size())
          .raw(" that decide the verdicts), most widespread first</figcaption>\n")
          .raw(SvgCharts.barChart(featureRows(sec, scale), scale, 170, 520, "Security-relevant features"))
          .raw("</figure>\n");
    }
    if (!others.isEmpty()) {
      List<CappedCounter.Entry<String>> top = others.subList(0, Math.min(TOP_OTHER_FEATURES, others.size()));
      raw("<figure class=\"card\"><figcaption>Other features").raw(top.size() < others.size()
              ? ", the " + top.size() + " most widespread of " + others.size() : " (" + others.size() + "), most widespread first")
          .raw("</figcaption>\n")
          .raw(SvgCharts.barChart(featureRows(top, scale), scale, 170, 520, "Most widespread other features"))
          .raw("</figure>\n");
    }

    raw("<details open class=\"all-features\"><summary>All ").raw(num(all.size()))
        .raw(" features, alphabetically</summary>\n");
    int half = all.size() > 30 ? (all.size() + 1) / 2 : all.size();
    raw(half < all.size() ? "<div class=\"split\">\n" : "");
    for (List<CappedCounter.Entry<String>> part : half < all.size()
        ? List.of(all.subList(0, half), all.subList(half, all.size())) : List.of(all)) {
      raw("<table class=\"features\"><thead><tr><th>Feature</th><th class=\"num\">Present</th>"
          + "<th class=\"num\">Absent</th><th class=\"num\">Unknown</th><th class=\"num\">Share</th>"
          + "</tr></thead><tbody>\n");
      for (CappedCounter.Entry<String> e : part) {
        String id = "feature-" + Markup.id(e.key());
        long[] n = e.counts();
        raw("<tr><td class=\"mono\">").text(e.key())
            .raw(security.contains(e.key()) ? " <span class=\"tag\">security</span>" : "").raw("</td>")
            .raw(countCell(id + "-present", n[FeatureFacts.PRESENT]))
            .raw(countCell(id + "-absent", n[FeatureFacts.ABSENT]))
            .raw(countCell(id + "-unknown", n[FeatureFacts.UNKNOWN]))
            .raw("<td class=\"num dim\">").raw(share(n[FeatureFacts.PRESENT], e.sum())).raw("</td></tr>\n");
      }
      raw("</tbody></table>\n");
    }
    raw(half < all.size() ? "</div>\n" : "");
    if (c.other(0) + c.other(1) + c.other(2) > 0) {
      raw("<p class=\"more\">Other features (past the first ").raw(ReportFacts.FEATURE_CAP).raw(" names): ")
          .raw(num(c.other(0))).raw(" present, ").raw(num(c.other(1))).raw(" absent, ").raw(num(c.other(2)))
          .raw(" unknown.</p>\n");
    }
    raw("<p class=\"dim\">Share: of the images with a row for the feature, those where it is present.</p>\n");
    raw("</details>\n");
    endSection();
  }

  private static List<SvgCharts.Row> featureRows(List<CappedCounter.Entry<String>> entries, long scale) {
    List<SvgCharts.Row> rows = new ArrayList<>(entries.size());
    for (CappedCounter.Entry<String> e : entries) {
      long[] n = e.counts();
      rows.add(new SvgCharts.Row(e.key(), List.of(
          new SvgCharts.Part(n[FeatureFacts.PRESENT], "f-present", "present"),
          new SvgCharts.Part(n[FeatureFacts.UNKNOWN], "f-unknown", "unknown"),
          new SvgCharts.Part(n[FeatureFacts.ABSENT], "f-absent", "absent")),
          String.format(Locale.ROOT, "%,d of %,d", n[FeatureFacts.PRESENT], e.sum())));
    }
    return rows;
  }

  // ---- 5. pools --------------------------------------------------------------------------------

  private void pools() {
    section("pools", "5. Pools");
    if (!facts.produced(ReportFacts.POOL_BASELINE)) {
      notProduced("pool_baseline", "--poolKey");
      endSection();
      return;
    }
    PoolFacts p = facts.pools;
    long total = p.total();
    List<PoolFacts.Pool> shown = p.shown();
    raw("<p class=\"lead\"><span id=\"pools-total\" data-value=\"").raw(total).raw("\">").raw(num(total))
        .raw("</span> pool").raw(total == 1 ? "" : "s").raw(" (table <code>pool_baseline</code>")
        .raw(header.poolKey() == null ? "" : ", key <code>" + Markup.text(header.poolKey()) + "</code>")
        .raw("). A pool\u2019s baseline is what every guest of it has (features any guest has for the "
            + "accumulating <code>|</code> ones); a feature only some guests have is one a move within the pool "
            + "can take away. Guests counted are those with a CPU policy.</p>\n");
    if (shown.isEmpty()) {
      raw("<p class=\"dim\">No pool: no image matched the pool key.</p>\n");
      endSection();
      return;
    }
    raw("<table class=\"list pools\"><thead><tr><th>Pool</th><th class=\"num\">Guests</th>"
        + "<th class=\"num\">Baseline features</th><th class=\"num\">Features only some guests have</th>"
        + "<th>Which (guests with it)</th></tr></thead><tbody>\n");
    for (PoolFacts.Pool x : shown) {
      String id = "pool-" + Markup.id(x.name);
      raw("<tr><td class=\"mono\">").raw(x.name.isEmpty() ? "<span class=\"dim\">(empty name)</span>" : Markup.text(x.name))
          .raw("</td>").raw(countCell(id + "-guests", x.guestCount))
          .raw(countCell(id + "-baseline", x.baseline)).raw(countCell(id + "-partial", x.partial)).raw("<td>");
      List<PoolFacts.Partial> partial = x.partialFeatures.sorted();
      for (int i = 0; i < partial.size(); i++) {
        raw(i == 0 ? "" : ", ").raw("<span class=\"mono\">").text(partial.get(i).feature()).raw("</span> <span class=\"dim\">(")
            .raw(num(partial.get(i).guestsWithFeature())).raw(")</span>");
      }
      if (x.partialFeatures.more() > 0) {
        raw(" <span class=\"dim\">\u2026 and ").raw(num(x.partialFeatures.more())).raw(" more</span>");
      }
      if (partial.isEmpty()) {
        raw("<span class=\"dim\">none</span>");
      }
      raw("</td></tr>\n");
    }
    raw("</tbody></table>\n");
    more("pools-more", total - shown.size(), "pools", "<code>pool_baseline</code> (by <code>pool</code>)");
    endSection();
  }

  // ---- 6. migration ----------------------------------------------------------------------------

  private void migration() {
    section("migration", "6. Migration check");
    if (!facts.produced(ReportFacts.MIGRATION_CHECK)) {
      notProduced("migration_check", "--targetPolicy");
      endSection();
      return;
    }
    MigrationFacts m = facts.migration;
    long checked = m.compatible() + m.blockedCount();
    raw("<p class=\"lead\">Every guest with a CPU policy checked against <span class=\"mono\">")
        .text(header.target() == null ? "the target policy" : header.target()).raw("</span> with Xen\u2019s own "
            + "rules (table <code>migration_check</code>): <span id=\"migration-compatible\" data-value=\"")
        .raw(m.compatible()).raw("\">").raw(num(m.compatible())).raw("</span> of ").raw(num(checked))
        .raw(" can move, <span id=\"migration-blocked\" data-value=\"").raw(m.blockedCount()).raw("\">")
        .raw(num(m.blockedCount())).raw("</span> cannot. <span id=\"migration-non-blocking\" data-value=\"")
        .raw(m.withNonBlocking).raw("\">").raw(num(m.withNonBlocking))
        .raw("</span> would lose a feature that does not block the move (<code>non_blocking_features</code>).</p>\n");
    statusBar(List.of(new SvgCharts.Part(m.compatible(), "s-valid", "compatible"),
        new SvgCharts.Part(m.blockedCount(), "s-invalid", "blocked")), "Guests compatible and blocked");
    raw("<h3>By target block</h3>\n<table class=\"small narrow\"><thead><tr>"
        + "<th>Target</th><th class=\"num\">Compatible</th><th class=\"num\">Blocked</th></tr></thead><tbody>\n");
    for (CappedCounter.Entry<String> e : m.targets.byKey()) {
      raw("<tr><td class=\"target\">").text(e.key()).raw("</td><td class=\"num\">").raw(num(e.counts()[0]))
          .raw("</td><td class=\"num\">").raw(num(e.counts()[1])).raw("</td></tr>\n");
    }
    if (m.targets.other(0) + m.targets.other(1) > 0) {
      raw("<tr><td class=\"dim\">other targets</td><td class=\"num\">").raw(num(m.targets.other(0)))
          .raw("</td><td class=\"num\">").raw(num(m.targets.other(1))).raw("</td></tr>\n");
    }
    if (m.targets.size() == 0) {
      raw("<tr><td colspan=\"3\" class=\"dim\">no guest with a CPU policy</td></tr>\n");
    }
    raw("</tbody></table>\n");

    raw("<h3>Most frequent blockers</h3>\n");
    if (!facts.produced(ReportFacts.MIGRATION_BLOCKERS)) {
      raw("<p class=\"dim\">Table <code>migration_blockers</code> was not produced in this run.</p>\n");
    } else if (m.blockers.total() == 0) {
      raw("<p class=\"dim\">Nothing blocks any guest.</p>\n");
    } else {
      List<CappedCounter.Entry<MigrationFacts.Blocker>> rows = m.blockers.byCount();
      List<CappedCounter.Entry<MigrationFacts.Blocker>> top = rows.subList(0, Math.min(TOP_BLOCKERS, rows.size()));
      int half = top.size() > 10 ? (top.size() + 1) / 2 : top.size();
      raw("<p class=\"dim\">Rows of <code>migration_blockers</code> per kind of blocker: <em>feature</em> is a feature "
          + "the guest sees and the target lacks; <em>vendor</em>, <em>max_leaf</em> and <em>msr</em> are Xen\u2019s "
          + "other compatibility checks. One row per blocked guest and blocker.</p>\n<div class=\"grid wide\">\n");
      for (List<CappedCounter.Entry<MigrationFacts.Blocker>> part : half < top.size()
          ? List.of(top.subList(0, half), top.subList(half, top.size())) : List.of(top)) {
        raw("<table class=\"small\"><thead><tr><th>Kind</th><th>Feature</th><th class=\"num\">Guests blocked</th>"
            + "</tr></thead><tbody>\n");
        for (CappedCounter.Entry<MigrationFacts.Blocker> e : part) {
          MigrationFacts.Blocker b = e.key();
          String id = "blocker-" + Markup.id(b.kind()) + (b.feature() == null ? "" : "-" + Markup.id(b.feature()));
          raw("<tr><td>").text(b.kind()).raw("</td><td class=\"mono\">")
              .text(b.feature() == null ? "\u2014" : b.feature()).raw("</td>").raw(countCell(id, e.count()))
              .raw("</tr>\n");
        }
        raw("</tbody></table>\n");
      }
      raw("</div>\n");
      long restRows = m.blockers.total();
      for (CappedCounter.Entry<MigrationFacts.Blocker> e : top) {
        restRows -= e.count();
      }
      long restKinds = rows.size() - top.size();
      if (restRows > 0) {
        raw("<p class=\"more\">\u2026 and ").raw(num(restRows)).raw(" more blocker rows")
            .raw(restKinds > 0 ? " of " + num(restKinds) + " other kinds" : "")
            .raw(": query <code>migration_blockers</code> (by <code>kind</code>, <code>feature</code>).</p>\n");
      }
    }

    if (m.blocked.offered() > 0) {
      raw("<h3>Blocked guests</h3>\n<table class=\"list\"><thead><tr><th>Guest id</th><th>Image</th><th>Target</th>"
          + "<th class=\"num\">Blockers</th><th>What blocks it</th></tr></thead><tbody>\n");
      for (MigrationFacts.BlockedGuest g : m.blocked.sorted()) {
        raw("<tr>").raw(guestCell(g.guestId(), g.sourceUri())).raw("<td class=\"uri\">").text(g.sourceUri())
            .raw("</td><td class=\"target\">").text(g.target()).raw("</td><td class=\"num\">").raw(num(g.blockerCount()))
            .raw("</td><td>");
        SmallestK<MigrationFacts.Blocker> b = m.blockersOf(g);
        if (b == null || b.offered() == 0) {
          raw("<span class=\"dim\">\u2014</span>");
        } else {
          List<MigrationFacts.Blocker> l = b.sorted();
          for (int i = 0; i < l.size(); i++) {
            raw(i == 0 ? "" : ", ").raw("<span class=\"mono\">").text(l.get(i).label()).raw("</span>");
          }
          if (b.more() > 0) {
            raw(" <span class=\"dim\">\u2026 and ").raw(num(b.more())).raw(" more</span>");
          }
        }
        raw("</td></tr>\n");
      }
      raw("</tbody></table>\n");
      more("migration-blocked-more", m.blocked.more(), "blocked guests",
          "<code>migration_check</code> where <code>NOT compatible</code>, the reasons in "
              + "<code>migration_blockers</code>");
    }
    endSection();
  }

  // ---- 7. drift --------------------------------------------------------------------------------

  private void drift() {
    section("drift", "7. Drift since the previous audit");
    if (!facts.produced(ReportFacts.POLICY_DRIFT)) {
      notProduced("policy_drift", "--previousOutput");
      endSection();
      return;
    }
    DriftFacts d = facts.drift;
    raw("<p class=\"lead\">Changes per guest since the audit of ")
        .text(header.previousAuditDate() == null ? "the previous output" : header.previousAuditDate())
        .raw(" (table <code>policy_drift</code>, <span id=\"drift-total\" data-value=\"").raw(d.changes.total())
        .raw("\">").raw(num(d.changes.total())).raw("</span> rows): a feature the guest now sees (appeared) or no "
            + "longer sees (disappeared), and guests found in one run only.</p>\n");
    raw("<table class=\"small\"><thead><tr><th>Change</th><th class=\"num\">Rows</th><th>Meaning</th></tr></thead>"
        + "<tbody>\n");
    Set<String> fixed = new HashSet<>(DriftFacts.CHANGES);
    for (String change : DriftFacts.CHANGES) {
      raw("<tr><td class=\"mono\">").raw(change).raw("</td>").raw(countCell("drift-" + change, d.changes.get(change)))
          .raw("<td class=\"dim\">").raw(switch (change) {
            case "appeared" -> "feature absent before, present now";
            case "disappeared" -> "feature present before, absent now";
            case "guest_new" -> "guest not in the previous audit";
            default -> "guest in the previous audit only";
          }).raw("</td></tr>\n");
    }
    for (CappedCounter.Entry<String> e : d.changes.byKey()) {
      if (!fixed.contains(e.key())) {
        raw("<tr><td class=\"mono\">").text(e.key()).raw("</td>")
            .raw(countCell("drift-" + Markup.id(e.key()), e.count())).raw("<td></td></tr>\n");
      }
    }
    if (d.changes.other() > 0) {
      raw("<tr><td class=\"dim\">other values</td><td class=\"num\">").raw(num(d.changes.other()))
          .raw("</td><td></td></tr>\n");
    }
    raw("</tbody></table>\n");
    if (d.first.offered() > 0) {
      raw("<h3>Changes by guest</h3>\n<table class=\"list\"><thead><tr><th>Guest id</th><th>Change</th>"
          + "<th>Feature</th><th>Previous image</th><th>Image</th></tr></thead><tbody>\n");
      for (DriftFacts.Change c : d.first.sorted()) {
        raw("<tr>").raw(guestCell(c.guestId(), c.sourceUri() != null ? c.sourceUri() : c.previousSourceUri()))
            .raw("<td>").raw(change(c.change()))
            .raw("</td><td class=\"mono\">").text(c.feature() == null ? "\u2014" : c.feature())
            .raw("</td><td class=\"uri\">").text(c.previousSourceUri() == null ? "\u2014" : c.previousSourceUri())
            .raw("</td><td class=\"uri\">").text(c.sourceUri() == null ? "\u2014" : c.sourceUri()).raw("</td></tr>\n");
      }
      raw("</tbody></table>\n");
      more("drift-more", d.first.more(), "changes", "<code>policy_drift</code> (by <code>guest_id</code>)");
    }
    endSection();
  }

  private static String change(String c) {
    String cls = switch (c) {
      case "appeared", "guest_new" -> "chg chg-plus";
      case "disappeared", "guest_gone" -> "chg chg-minus";
      default -> "chg";
    };
    return "<span class=\"" + cls + "\">" + Markup.text(c) + "</span>";
  }

  // ---- about -----------------------------------------------------------------------------------

  private void about() {
    section("about", "About this report");
    raw("<p>Built by xenaudit from the Parquet tables of run <span class=\"mono\">").text(header.runId())
        .raw("</span> in <span class=\"mono\">").text(header.output()).raw("</span>. Tables read: ");
    boolean first = true;
    for (String t : List.of(ReportFacts.STREAMS, ReportFacts.FINDINGS, ReportFacts.GUEST_SECURITY,
        ReportFacts.CPUID_FEATURES, ReportFacts.POOL_BASELINE, ReportFacts.MIGRATION_CHECK,
        ReportFacts.MIGRATION_BLOCKERS, ReportFacts.POLICY_DRIFT)) {
      if (facts.produced(t)) {
        raw(first ? "" : ", ").raw("<code>").raw(t).raw("</code>");
        first = false;
      }
    }
    raw(first ? "none" : "").raw(". Each table is in <span class=\"mono\">&lt;output&gt;/&lt;table&gt;/*.parquet</span>; "
        + "the README describes every column and has example queries for DuckDB and Spark SQL. Lists in this "
        + "report are capped at ").raw(ReportFacts.LIST_LIMIT).raw(" entries and categories at ")
        .raw(ReportFacts.CATEGORY_CAP).raw(" values, so the page stays the same size for any fleet; the counts "
            + "are never sampled.</p>\n");
    endSection();
  }

  // ---- pieces ----------------------------------------------------------------------------------

  private void section(String id, String title) {
    raw("<section id=\"").raw(id).raw("\">\n<h2>").raw(title).raw("</h2>\n");
  }

  private void endSection() {
    raw("</section>\n");
  }

  private void notProduced(String table, String option) {
    raw("<p class=\"absent\">Table <code>").raw(table).raw("</code> was not produced in this run");
    if (option != null) {
      raw(" (give --poolKey / --targetPolicy / --previousOutput; this one needs <code>").raw(option).raw("</code>)");
    }
    raw(".</p>\n");
  }

  private void more(String id, long n, String what, String where) {
    if (n > 0) {
      raw("<p class=\"more\">\u2026 and <span id=\"").raw(id).raw("\" data-value=\"").raw(n).raw("\">").raw(num(n))
          .raw("</span> more ").raw(what).raw(": query ").raw(where).raw(".</p>\n");
    }
  }

  /** A guest id cell; "= image" when the id is the image's URI (a guest with neither uuid nor name). */
  private static String guestCell(String guestId, String sourceUri) {
    if (guestId.equals(sourceUri)) {
      return "<td class=\"mono id\"><span class=\"dim\" title=\"guest_id is the image URI (no uuid or name in the "
          + "image)\">= image</span></td>";
    }
    return "<td class=\"mono id\">" + Markup.text(guestId) + "</td>";
  }

  private static String badge(String status) {
    String cls = switch (status) {
      case "valid" -> "badge s-valid-b";
      case "invalid" -> "badge s-invalid-b";
      case "unreadable" -> "badge s-unreadable-b";
      default -> "badge";
    };
    return "<span class=\"" + cls + "\">" + Markup.text(status) + "</span>";
  }

  private static String countCell(String id, long n) {
    return countCell(id, n, null);
  }

  private static String countCell(String id, long n, String cls) {
    return "<td class=\"num" + (cls == null ? "" : " " + cls) + "\" id=\"" + id + "\" data-value=\"" + n + "\">"
        + num(n) + "</td>";
  }

  static String num(long n) {
    return String.format(Locale.ROOT, "%,d", n);
  }

  /** A share as a percentage with one decimal; never 0.0% for a non-zero count nor 100.0% short of all. */
  static String share(long n, long total) {
    if (total <= 0) {
      return "\u2014";
    }
    if (n > 0 && n * 1000 < total) {
      return "&lt;0.1%";
    }
    if (n < total && (total - n) * 1000 < total) {
      return "&gt;99.9%";
    }
    return String.format(Locale.ROOT, "%.1f%%", 100.0 * n / total);
  }

  static String bytes(long n) {
    String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = n;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }

  private ReportPage raw(String s) {
    h.append(s);
    return this;
  }

  private ReportPage raw(long n) {
    h.append(n);
    return this;
  }

  private ReportPage text(String s) {
    h.append(Markup.text(s));
    return this;
  }
}
