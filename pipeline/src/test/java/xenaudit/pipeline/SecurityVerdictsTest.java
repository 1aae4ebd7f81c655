package xenaudit.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import xenaudit.policy.SecurityFeatures;
import xenaudit.policy.SecurityIssue;
import xenaudit.policy.Verdict;
import xenaudit.sample.GuestImageWriter;
import xenaudit.sample.GuestSpec;
import xenaudit.sample.SampleFleet;
import xenaudit.transforms.AuditTables;

/**
 * Every issue's verdicts on a security-mix fleet (Skylake, Cascade Lake, Ice Lake, Sapphire
 * Rapids, Zen 1 to 4, with and without the *_NO bits; v2 streams and PV guests among them), read
 * back by DuckDB: the documented columns and types, unknown for every stream without a policy,
 * not affected for the other vendor, and the new rules recomputed in SQL from the table's own
 * feature columns. An all-AMD run's report folds the Intel-only issues.
 */
class SecurityVerdictsTest {
  static final int GUESTS = 48;
  @TempDir static Path work;
  static Path out;
  static Path amdOut;

  @BeforeAll
  static void audit() throws Exception {
    Path fleet = work.resolve("fleet");
    SampleFleet.generate(SampleFleet.Options.defaults(fleet).withGuests(GUESTS).withSeed(21).withMemory(4L << 20)
        .withSecurityMix(true).withCorrupt(true));
    out = work.resolve("out");
    AuditPipeline.runAndWait(AuditPipelineTest.options(fleet + "/*", out.toString(), List.of()));
    // The same fleet's AMD guests alone (odd images are AMD).
    List<GuestSpec> specs = SampleFleet.fleet(GUESTS, 21, 4L << 20, true);
    Path amd = work.resolve("amd");
    Files.createDirectories(amd);
    for (int i = 1; i < specs.size(); i += 2) {
      GuestImageWriter.write(specs.get(i), amd.resolve(SampleFleet.fileName(i, specs.get(i))));
    }
    amdOut = work.resolve("amd-out");
    AuditPipeline.runAndWait(AuditPipelineTest.options(amd + "/*", amdOut.toString(), List.of()));
  }

  static String table(DuckDbTables db) {
    return "read_parquet('" + db.glob(AuditTables.GUEST_SECURITY) + "')";
  }

  @Test
  void everyIssueHasItsColumnsInTheDocumentedOrderAndTypes() throws Exception {
    List<String> expected = new ArrayList<>(List.of("guest_id", "source_uri", "vendor", "family", "model", "stepping"));
    expected.addAll(SecurityFeatures.COLUMNS.subList(0, 49));
    List<SecurityIssue> issues = List.of(SecurityIssue.values());
    for (SecurityIssue i : issues.subList(0, 8)) {
      expected.addAll(List.of(i.column() + "_verdict", i.column() + "_reason"));
    }
    expected.add("decode_version");
    for (SecurityIssue i : issues.subList(8, issues.size())) {
      expected.addAll(List.of(i.column() + "_verdict", i.column() + "_reason"));
    }
    for (SecurityIssue i : issues) {
      expected.add(i.column() + "_sysfs");
    }
    expected.addAll(SecurityFeatures.COLUMNS.subList(49, SecurityFeatures.COLUMNS.size()));
    try (DuckDbTables db = new DuckDbTables(out)) {
      Map<String, String> types = db.physicalTypes(AuditTables.GUEST_SECURITY);
      assertEquals(expected, new ArrayList<>(types.keySet()));
      for (SecurityIssue i : issues) {
        for (String suffix : List.of("_verdict", "_reason", "_sysfs")) {
          assertEquals("BYTE_ARRAY", types.get(i.column() + suffix), i + suffix);
        }
      }
      for (String f : SecurityFeatures.COLUMNS) {
        assertEquals("BOOLEAN", types.get(f), f);
      }
      assertEquals("INT64", types.get("model"));
      // The models of the mix the generator drew for v3 guests are the ones the table shows.
      long drawn = SampleFleet.fleet(GUESTS, 21, 4L << 20, true).stream().filter(g -> g.streamVersion() == 3)
          .map(g -> g.cpu().signature()).distinct().count();
      // Skylake-SP and Cascade Lake share model 0x55: tell them apart by stepping.
      assertTrue(drawn >= 6, "the fleet mixes the models: " + drawn);
      assertEquals(drawn, db.query("SELECT count(DISTINCT (family * 256 + model) * 16 + stepping) AS n FROM " + table(db)
          + " WHERE vendor IS NOT NULL").get(0).get("n"));
    }
  }

  @Test
  void everyStreamWithoutAPolicyIsUnknownForEveryIssue() throws Exception {
    try (DuckDbTables db = new DuckDbTables(out)) {
      String s = "read_parquet('" + db.glob(AuditTables.STREAMS) + "')";
      long v2 = (Long) db.query("SELECT count(*) AS n FROM " + s + " WHERE stream_version = 2").get(0).get("n");
      assertTrue(v2 > 0, "the fleet has v2 streams");
      StringBuilder allUnknown = new StringBuilder("TRUE");
      for (SecurityIssue i : SecurityIssue.values()) {
        allUnknown.append(" AND g.").append(i.column()).append("_verdict = 'unknown' AND g.").append(i.column())
            .append("_sysfs IS NULL");
      }
      assertEquals(List.of(), db.query("SELECT source_uri, status, vendor FROM " + table(db) + " g JOIN " + s
          + " USING (source_uri) WHERE stream_version = 2 AND NOT (" + allUnknown + ")"));
      assertEquals(v2, db.query("SELECT count(*) AS n FROM " + table(db) + " g JOIN " + s
          + " USING (source_uri) WHERE stream_version = 2 AND " + allUnknown).get(0).get("n"));
      assertEquals(db.query("SELECT count(*) AS n FROM " + table(db) + " WHERE vendor IS NULL").get(0).get("n"),
          db.query("SELECT count(*) AS n FROM " + table(db) + " g WHERE " + allUnknown).get(0).get("n"),
          "exactly the streams without a policy are unknown for everything");
    }
  }

  @Test
  void vendorSpecificIssuesAreNotAffectedForTheOtherVendor() throws Exception {
    try (DuckDbTables db = new DuckDbTables(out)) {
      for (SecurityIssue i : SecurityIssue.values()) {
        String other = switch (i.scope()) {
          case INTEL -> "'amd', 'hygon'";
          case AMD -> "'intel'";
          case ALL -> null;
        };
        if (other == null) {
          continue;
        }
        List<Map<String, Object>> wrong = db.query("SELECT source_uri, " + i.column() + "_verdict AS v FROM "
            + table(db) + " WHERE vendor IN (" + other + ") AND " + i.column() + "_verdict <> 'not_affected'");
        assertEquals(List.of(), wrong, i.name());
        assertTrue((Long) db.query("SELECT count(*) AS n FROM " + table(db) + " WHERE vendor IN (" + other + ")")
            .get(0).get("n") > 0);
      }
    }
  }

  /** Linux's blacklist rows of the Intel parts, restated here as SQL. */
  static final String MMIO_MODELS = "(63, 86, 79, 85, 78, 94, 142, 158, 126, 108, 106, 165, 166, 138, 167, 150, 134, 156)";
  static final String RETBLEED_MODELS = "(85, 78, 94, 142, 158, 102, 126, 165, 166, 138, 167)";

  /** The new rules, written again in SQL over the table's own columns (and streams.guest_type). */
  static final Map<String, String> RULES = Map.of(
      "tsa", "CASE WHEN vendor <> 'amd' THEN 'not_affected' WHEN tsa_sq_no AND tsa_l1_no THEN 'not_affected'"
          + " WHEN family <> 25 THEN 'not_affected' WHEN verw_clear THEN 'mitigation_available' ELSE 'exposed' END",
      "srso", "CASE WHEN srso_no THEN 'not_affected' WHEN NOT (vendor = 'amd' AND family IN (23, 25, 26)"
          + " OR vendor = 'hygon' AND family = 24) THEN 'not_affected' WHEN srso_us_no OR ibpb_brtype"
          + " THEN 'mitigation_available' ELSE 'exposed' END",
      "pbrsb", "CASE WHEN vendor IN ('amd', 'hygon') OR pbrsb_no OR NOT (eibrs OR auto_ibrs) THEN 'not_affected'"
          + " ELSE 'mitigation_available' END",
      "mmio_stale_data", "CASE WHEN fbsdp_no AND psdp_no AND sbdr_ssdp_no THEN 'not_affected'"
          + " WHEN NOT (vendor = 'intel' AND family = 6 AND model IN " + MMIO_MODELS + ") THEN 'not_affected'"
          + " WHEN fb_clear OR md_clear AND l1d_flush AND NOT mds_no THEN 'mitigation_available' ELSE 'exposed' END",
      "retbleed", "CASE WHEN btc_no THEN 'not_affected' WHEN NOT (vendor = 'intel' AND family = 6 AND model IN "
          + RETBLEED_MODELS + " OR vendor = 'amd' AND family IN (21, 22, 23) OR vendor = 'hygon' AND family = 24"
          + " OR rsba) THEN 'not_affected' WHEN vendor IN ('amd', 'hygon') OR eibrs OR ibrsb"
          + " THEN 'mitigation_available' ELSE 'exposed' END",
      "meltdown", "CASE WHEN vendor IN ('amd', 'hygon') OR rdcl_no THEN 'not_affected'"
          + " WHEN guest_type = 'x86_pv' THEN 'exposed' ELSE 'mitigation_available' END",
      "bhi", "CASE WHEN vendor IN ('amd', 'hygon') OR bhi_no THEN 'not_affected' ELSE 'mitigation_available' END",
      "l1tf", "CASE WHEN vendor IN ('amd', 'hygon') OR rdcl_no THEN 'not_affected' ELSE 'mitigation_available' END",
      "itlb_multihit", "CASE WHEN vendor IN ('amd', 'hygon') OR if_pschange_mc_no THEN 'not_affected'"
          + " ELSE 'mitigation_available' END",
      "spectre_v1", "'mitigation_available'");

  @Test
  void theNewRulesAgreeWithTheirRestatementInSql() throws Exception {
    try (DuckDbTables db = new DuckDbTables(out)) {
      String joined = table(db) + " g JOIN (SELECT source_uri, guest_type FROM read_parquet('"
          + db.glob(AuditTables.STREAMS) + "')) USING (source_uri)";
      // Unknown bits are the unit tests' concern: here only rows whose every feature column is known.
      StringBuilder known = new StringBuilder("vendor IS NOT NULL");
      for (String f : SecurityFeatures.COLUMNS) {
        known.append(" AND ").append(f).append(" IS NOT NULL");
      }
      long compared = (Long) db.query("SELECT count(*) AS n FROM " + joined + " WHERE " + known).get(0).get("n");
      assertTrue(compared >= GUESTS / 2, "rows compared: " + compared);
      for (Map.Entry<String, String> rule : RULES.entrySet()) {
        String x = rule.getKey();
        List<Map<String, Object>> wrong = db.query("SELECT source_uri, vendor, family, model, " + x + "_verdict AS got, "
            + x + "_reason AS why, " + rule.getValue() + " AS want FROM " + joined
            + " WHERE " + known + " AND " + x + "_verdict IS DISTINCT FROM (" + rule.getValue() + ")");
        assertEquals(List.of(), wrong, x);
      }
      // The fleet tells each rule's ways apart: at least two verdicts each (one for spectre_v1).
      for (String x : RULES.keySet()) {
        long n = (Long) db.query("SELECT count(DISTINCT " + x + "_verdict) AS n FROM " + table(db)
            + " WHERE vendor IS NOT NULL").get(0).get("n");
        assertTrue(n >= (x.equals("spectre_v1") ? 1 : 2), x + " shows " + n + " verdicts");
      }
      for (String x : List.of("tsa", "srso", "mmio_stale_data", "meltdown")) {
        long n = (Long) db.query("SELECT count(*) AS n FROM " + table(db) + " WHERE " + x + "_verdict = 'exposed'")
            .get(0).get("n");
        assertTrue(n > 0, x + ": the fleet has exposed guests");
      }
    }
  }

  @Test
  void theSysfsLinesSayWhatTheVerdictsSay() throws Exception {
    try (DuckDbTables db = new DuckDbTables(out)) {
      for (String x : List.of("meltdown", "l1tf", "mmio_stale_data", "retbleed", "srso", "tsa", "mds", "gds", "rfds")) {
        // A line with alternatives, {a|b}, is judged by its first.
        String line = "ltrim(" + x + "_sysfs, '{')";
        assertEquals(List.of(), db.query("SELECT source_uri, " + x + "_verdict, " + x + "_sysfs FROM " + table(db)
            + " WHERE " + x + "_verdict = 'not_affected' AND " + line + " <> 'Not affected'"
            + " OR " + x + "_verdict = 'mitigation_available' AND " + line + " NOT LIKE 'Mitigation: %'"
            + " AND " + line + " NOT LIKE 'Unknown: Dependent on hypervisor status'"
            + " OR " + x + "_verdict = 'exposed' AND " + line + " NOT LIKE 'Vulnerable%'"
            + " AND " + line + " NOT LIKE 'Unknown%'"), x);
      }
      for (Map<String, Object> r : db.query("SELECT spectre_v2_sysfs AS s, bhi_sysfs AS b, pbrsb_sysfs AS p FROM "
          + table(db) + " WHERE spectre_v2_sysfs IS NOT NULL")) {
        String line = (String) r.get("s");
        assertTrue(line.endsWith("; " + r.get("p") + "; " + r.get("b")), r.toString());
      }
    }
  }

  /** The README's SRSO/TSA query, against the verdicts of the generator's own policies (no reader involved). */
  @Test
  void theReadmeAmdQueryListsTheGuestsTheGeneratorsPoliciesExpose() throws Exception {
    List<GuestSpec> specs = SampleFleet.fleet(GUESTS, 21, 4L << 20, true);
    java.util.Set<String> want = new java.util.TreeSet<>();
    for (int i = 0; i < specs.size(); i++) {
      GuestSpec g = specs.get(i);
      if (g.cpu().intel() || g.streamVersion() != 3) {
        continue;
      }
      xenaudit.policy.GuestSecurity sec = xenaudit.policy.GuestSecurity.of(xenaudit.policy.CpuPolicy.of(
          GuestImageWriter.cpuidPolicy(g), GuestImageWriter.msrPolicy(g)), null);
      if (sec.assessment(SecurityIssue.SRSO).verdict() == Verdict.EXPOSED
          || sec.assessment(SecurityIssue.TSA).verdict() == Verdict.EXPOSED) {
        want.add(SampleFleet.fileName(i, g));
      }
    }
    assertTrue(!want.isEmpty(), "the fleet has exposed AMD guests");
    try (DuckDbTables db = new DuckDbTables(out)) {
      java.util.Set<String> got = new java.util.TreeSet<>();
      for (Map<String, Object> r : PolicyTablesTest.run(db, out,
          PolicyTablesTest.readmeQuery("AMD guests exposed to SRSO or TSA"))) {
        String f = AuditPipelineTest.fileName(r.get("source_uri"));
        if (f.startsWith("guest-")) {
          got.add(f);
          assertTrue(r.get("srso_sysfs") != null && r.get("tsa_sysfs") != null, r.toString());
        }
      }
      assertEquals(want, got);
    }
  }

  @Test
  void anAllAmdRunFoldsTheIntelOnlyIssuesAndStillCountsThem() throws Exception {
    Path report = amdOut.resolve(AuditTables.REPORT).resolve("audit_date=" + AuditPipelineTest.DATE)
        .resolve("index.html");
    String html = Files.readString(report);
    Map<String, Long> page = ComplianceReportTest.counts(html);
    assertTrue(html.contains("<div class=\"scope\" id=\"scope-intel\"><details><summary>Intel only"), "folded");
    assertTrue(html.contains("<div class=\"scope\" id=\"scope-amd\"><h3>AMD and Hygon only"), "shown");
    assertEquals(0L, page.get("vendor-intel"));
    try (DuckDbTables db = new DuckDbTables(amdOut)) {
      assertEquals(db.query("SELECT count(*) AS n FROM " + table(db) + " WHERE vendor = 'amd'").get(0).get("n"),
          page.get("vendor-amd"));
      for (SecurityIssue i : SecurityIssue.values()) {
        for (Verdict v : Verdict.values()) {
          assertEquals(db.query("SELECT count(*) AS n FROM " + table(db) + " WHERE " + i.column() + "_verdict = '"
              + v.label() + "'").get(0).get("n"), page.get("verdict-" + i.column() + "-" + v.label()),
              i.column().toLowerCase(Locale.ROOT) + " " + v);
        }
      }
    }
  }
}
