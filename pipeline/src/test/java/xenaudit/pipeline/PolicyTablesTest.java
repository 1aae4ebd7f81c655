package xenaudit.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import xenaudit.format.Container;
import xenaudit.format.CpuFeature;
import xenaudit.format.CpuidLeaf;
import xenaudit.format.GuestType;
import xenaudit.format.MsrEntry;
import xenaudit.policy.CpuPolicy;
import xenaudit.policy.Features;
import xenaudit.policy.TargetPolicy;
import xenaudit.sample.CpuidProfiles;
import xenaudit.sample.CpuidProfiles.Model;
import xenaudit.sample.CpuidProfiles.Variation;
import xenaudit.sample.GuestImageWriter;
import xenaudit.sample.GuestSpec;
import xenaudit.sample.HostPolicies;
import xenaudit.sample.SampleFleet;
import xenaudit.transforms.AuditTables;

/**
 * The policy tables of a whole job on a generated fleet in three pools, against an Intel host dump,
 * then again on a changed fleet for drift. Every table is read back with DuckDB and checked against
 * an answer computed another way: features against a decode written here from the generator's
 * policies, verdicts and baselines and blockers recomputed in SQL from the other tables.
 */
class PolicyTablesTest {
  static final int GUESTS = 24;
  @TempDir static Path work;
  static List<GuestSpec> specs;
  static Path fleet;
  static Path out;
  static Path host;

  @BeforeAll
  static void auditTheFleet() throws Exception {
    specs = SampleFleet.fleet(GUESTS, 5, 8L << 20);
    fleet = work.resolve("fleet");
    for (int i = 0; i < specs.size(); i++) {
      write(fleet, i, specs.get(i));
    }
    host = work.resolve("host-intel.txt");
    Files.writeString(host, hostDump());
    out = work.resolve("out-1");
    AuditPipeline.runAndWait(AuditPipelineTest.options(fleet + "/*/*", out.toString(),
        List.of("--poolKey=/(pool-\\d)/", "--targetPolicy=" + host)));
  }

  static void write(Path dir, int i, GuestSpec s) throws IOException {
    Path f = dir.resolve("pool-" + i % 3).resolve(SampleFleet.fileName(i, s));
    Files.createDirectories(f.getParent());
    GuestImageWriter.write(s, f);
  }

  /** A six-block host dump in xen-cpuid -p form: a Cascade Lake host (its guests fit, newer ones do not). */
  static String hostDump() {
    return HostPolicies.dump(Model.INTEL_CASCADE_LAKE, true);
  }

  @Test
  void everyNewTableHasItsDocumentedColumnsAndTypes() throws Exception {
    try (DuckDbTables db = new DuckDbTables(out)) {
      Map<String, String> features = db.physicalTypes(AuditTables.CPUID_FEATURES);
      assertEquals(List.of("guest_id", "source_uri", "feature", "word", "bit", "source", "leaf", "subleaf", "register",
          "present", "decode_version"), new ArrayList<>(features.keySet()));
      assertEquals("BOOLEAN", features.get("present"));
      assertEquals("INT64", features.get("leaf"));
      for (String table : List.of(AuditTables.GUEST_SECURITY, AuditTables.POOL_BASELINE, AuditTables.MIGRATION_CHECK,
          AuditTables.MIGRATION_BLOCKERS)) {
        db.physicalTypes(table).forEach((col, type) -> assertTrue(
            type.equals("BYTE_ARRAY") || type.equals("INT64") || type.equals("BOOLEAN"), table + "." + col + " " + type));
      }
      Map<String, String> security = db.physicalTypes(AuditTables.GUEST_SECURITY);
      for (String c : List.of("mds_verdict", "taa_reason", "its_verdict", "md_clear", "taa_no", "family")) {
        assertTrue(security.containsKey(c), c);
      }
    }
  }

  /** present for every (stream, feature) against a decode of the generator's own policy, written here. */
  @Test
  void everyFeatureOfEveryStreamDecodesAsXenHandsItToTheGuest() throws Exception {
    try (DuckDbTables db = new DuckDbTables(out)) {
      Map<String, Map<String, Object>> rows = new HashMap<>();
      for (Map<String, Object> r : db.rows(AuditTables.CPUID_FEATURES, "")) {
        rows.put(AuditPipelineTest.fileName(r.get("source_uri")) + " " + r.get("feature"), r);
      }
      assertEquals(GUESTS * Features.count(), rows.size());
      int trues = 0;
      int falses = 0;
      int nulls = 0;
      for (int i = 0; i < specs.size(); i++) {
        GuestSpec s = specs.get(i);
        List<CpuidLeaf> cpuid = GuestImageWriter.cpuidPolicy(s);
        List<MsrEntry> msr = GuestImageWriter.msrPolicy(s);
        for (CpuFeature f : Features.all()) {
          Boolean expected = expectedPresent(f, cpuid, msr);
          Map<String, Object> r = rows.get(SampleFleet.fileName(i, s) + " " + Features.name(f));
          assertEquals(expected, r.get("present"), SampleFleet.fileName(i, s) + " " + f.name());
          assertEquals(Features.DECODE_VERSION, r.get("decode_version"));
          trues += Boolean.TRUE.equals(expected) ? 1 : 0;
          falses += Boolean.FALSE.equals(expected) ? 1 : 0;
          nulls += expected == null ? 1 : 0;
        }
      }
      assertTrue(trues > 0 && falses > 0 && nulls > 0, "true, false and null are all checked");
    }
  }

  /** The semantics of the issue, spelt out independently of CpuPolicy. */
  static Boolean expectedPresent(CpuFeature f, List<CpuidLeaf> cpuid, List<MsrEntry> msr) {
    if (f.msr()) {
      return msr.stream().filter(m -> m.uIndex() == f.leafOrMsr()).findFirst()
          .map(m -> (m.value() >>> f.msrBit() & 1) == 1).orElse(null);
    }
    if (cpuid.isEmpty()) {
      return null;
    }
    long leaf = f.leafOrMsr();
    long sub = Integer.toUnsignedLong(f.subleaf());
    Long max = leaf >= 0x80000000L ? reg(cpuid, 0x80000000L, 0xFFFFFFFFL, 0) : reg(cpuid, 0, 0xFFFFFFFFL, 0);
    if (max != null && leaf > max) {
      return false;
    }
    if (leaf == 7 && sub > 0) {
      Long max7 = reg(cpuid, 7, 0, 0);
      if (max7 != null && sub > max7) {
        return false;
      }
    }
    int r = List.of("eax", "ebx", "ecx", "edx").indexOf(f.register());
    Long v = reg(cpuid, leaf, sub, r);
    return v == null ? null : (v >>> f.bit() & 1) == 1;
  }

  private static Long reg(List<CpuidLeaf> cpuid, long leaf, long sub, int r) {
    for (CpuidLeaf l : cpuid) {
      if (l.uLeaf() == leaf && l.uSubleaf() == sub) {
        return List.of(l.uEax(), l.uEbx(), l.uEcx(), l.uEdx()).get(r);
      }
    }
    return null;
  }

  /** The three fixed rules, recomputed in SQL from the table's own columns. */
  @Test
  void mdsTaaAndSsbVerdictsFollowTheFixedRules() throws Exception {
    try (DuckDbTables db = new DuckDbTables(out)) {
      String g = "read_parquet('" + db.glob(AuditTables.GUEST_SECURITY) + "')";
      List<Map<String, Object>> wrong = db.query(String.join("\n",
          "SELECT source_uri, mds_verdict, taa_verdict, ssb_verdict, m, t, s FROM (",
          " SELECT *,",
          "  CASE WHEN vendor IS NULL THEN 'unknown' WHEN vendor <> 'intel' THEN 'not_affected'",
          "       WHEN mds_no THEN 'not_affected' WHEN md_clear THEN 'mitigation_available' ELSE 'exposed' END AS m,",
          "  CASE WHEN vendor IS NULL THEN 'unknown' WHEN vendor <> 'intel' THEN 'not_affected'",
          "       WHEN NOT rtm AND NOT hle THEN 'not_affected' WHEN taa_no THEN 'not_affected'",
          "       WHEN md_clear THEN 'mitigation_available' ELSE 'exposed' END AS t,",
          "  CASE WHEN vendor IS NULL THEN 'unknown' WHEN intel_ssb_no OR ssb_no THEN 'not_affected'",
          "       WHEN ssbd OR amd_ssbd OR virt_ssbd THEN 'mitigation_available' ELSE 'exposed' END AS s",
          " FROM " + g + ")",
          "WHERE mds_verdict <> m OR taa_verdict <> t OR ssb_verdict <> s"));
      assertEquals(List.of(), wrong);
      Map<String, Long> seen = new TreeMap<>();
      for (Map<String, Object> r : db.query("SELECT mds_verdict || '/' || taa_verdict AS v, count(*) AS n FROM " + g
          + " GROUP BY 1")) {
        seen.put((String) r.get("v"), (Long) r.get("n"));
      }
      assertTrue(seen.keySet().stream().anyMatch(v -> v.startsWith("unknown")), "v2 streams: " + seen);
      assertTrue(seen.keySet().stream().anyMatch(v -> v.startsWith("not_affected")), "AMD guests: " + seen);
      long v2 = specs.stream().filter(s -> s.streamVersion() == 2).count();
      StringBuilder allUnknown = new StringBuilder("TRUE");
      for (xenaudit.policy.SecurityIssue i : xenaudit.policy.SecurityIssue.values()) {
        allUnknown.append(" AND ").append(i.column()).append("_verdict = 'unknown'");
      }
      assertEquals(v2, db.query("SELECT * FROM " + g + " WHERE " + allUnknown).size(),
          "every v2 stream is unknown for every issue");
    }
  }

  /** Ordinary features AND-ed, '|' features OR-ed, over each pool's v3 guests: the same in SQL. */
  @Test
  void poolBaselinesAndTheOrdinaryFeaturesAndOrTheAccumulatedOnes() throws Exception {
    try (DuckDbTables db = new DuckDbTables(out)) {
      StringBuilder accumulated = new StringBuilder("'-'");
      for (CpuFeature f : Features.all()) {
        if (Features.accumulates(f)) {
          accumulated.append(", '").append(Features.name(f)).append("'");
        }
      }
      String sql = String.join("\n",
          "WITH f AS (SELECT regexp_extract(c.source_uri, '/(pool-\\d)/', 1) AS pool, c.feature, c.present",
          "  FROM read_parquet('" + db.glob(AuditTables.CPUID_FEATURES) + "') c",
          "  JOIN read_parquet('" + db.glob(AuditTables.STREAMS) + "') s USING (source_uri)",
          "  WHERE s.cpuid_leaf_count > 0),",
          "e AS (SELECT pool, feature, count(*) AS guests,",
          "  CASE WHEN feature IN (" + accumulated + ") THEN bool_or(present) ELSE bool_and(present) END AS present,",
          "  count(*) FILTER (WHERE present) AS with_feature FROM f GROUP BY pool, feature)",
          "SELECT e.pool, e.feature, e.present AS expected, b.present, e.guests, b.guest_count,",
          "  e.with_feature, b.guests_with_feature",
          "FROM e FULL JOIN (SELECT * FROM read_parquet('" + db.glob(AuditTables.POOL_BASELINE) + "')",
          "  WHERE guest_count > 0) b ON e.pool = b.pool AND e.feature = b.feature",
          "WHERE e.present IS DISTINCT FROM b.present OR e.guests IS DISTINCT FROM b.guest_count",
          "  OR e.with_feature IS DISTINCT FROM b.guests_with_feature");
      assertEquals(List.of(), db.query(sql));
      assertEquals(3 * Features.count(), db.rows(AuditTables.POOL_BASELINE, "").size());
      // Guests 1, 4, 7, ... are v2 (no policy): pool-1 is listed, with no guest to decide anything.
      assertEquals(List.of(Map.of("n", (long) Features.count())), db.query("SELECT count(*) AS n FROM read_parquet('"
          + db.glob(AuditTables.POOL_BASELINE) + "') WHERE pool = 'pool-1' AND guest_count = 0 AND present IS NULL"
          + " AND guests_with_feature = 0"));
    }
    assertFalse(Files.exists(out.resolve("baselines").resolve("audit_date=" + AuditPipelineTest.DATE).resolve("pool-1.txt")), "no policy, no baseline file");
    for (int pool = 0; pool < 3; pool += 2) {
      Path file = out.resolve("baselines").resolve("audit_date=" + AuditPipelineTest.DATE).resolve("pool-" + pool + ".txt");
      TargetPolicy t = TargetPolicy.parse(file.toString(), Files.readString(file));
      assertFalse(t.forGuest(GuestType.X86_HVM).leaves().isEmpty(), file.toString());
    }
  }

  /** Feature blockers are exactly what the guest has and the HVM/PV Max block lacks; vendor across vendors. */
  @Test
  void migrationCheckNamesExactlyTheBlockingFeatures() throws Exception {
    TargetPolicy target = TargetPolicy.parse("host-intel.txt", Files.readString(host));
    try (DuckDbTables db = new DuckDbTables(out)) {
      Map<String, Set<String>> got = new TreeMap<>();
      Map<String, Set<String>> kinds = new TreeMap<>();
      for (Map<String, Object> r : db.rows(AuditTables.MIGRATION_BLOCKERS, "")) {
        String file = AuditPipelineTest.fileName(r.get("source_uri"));
        kinds.computeIfAbsent(file, k -> new TreeSet<>()).add((String) r.get("kind"));
        if ("feature".equals(r.get("kind"))) {
          got.computeIfAbsent(file, k -> new TreeSet<>()).add((String) r.get("feature"));
        }
      }
      Map<String, Map<String, Object>> checks = new HashMap<>();
      for (Map<String, Object> r : db.rows(AuditTables.MIGRATION_CHECK, "")) {
        checks.put(AuditPipelineTest.fileName(r.get("source_uri")), r);
      }
      int blocked = 0;
      for (int i = 0; i < specs.size(); i++) {
        GuestSpec s = specs.get(i);
        String file = SampleFleet.fileName(i, s);
        if (s.streamVersion() == 2) {
          assertFalse(checks.containsKey(file), "no policy, no check: " + file);
          continue;
        }
        CpuPolicy t = target.forGuest(s.guestType());
        List<CpuidLeaf> cpuid = GuestImageWriter.cpuidPolicy(s);
        List<MsrEntry> msr = GuestImageWriter.msrPolicy(s);
        Set<String> expected = new TreeSet<>();
        for (CpuFeature f : Features.all()) {
          if (Boolean.TRUE.equals(expectedPresent(f, cpuid, msr)) && !Boolean.TRUE.equals(t.present(f))
              && !Features.accumulates(f)) {
            expected.add(Features.name(f));
          }
        }
        assertEquals(expected, got.getOrDefault(file, Set.of()), file);
        assertEquals(!s.cpu().intel(), kinds.getOrDefault(file, Set.of()).contains("vendor"), file + " vendor");
        Map<String, Object> c = checks.get(file);
        assertEquals(kinds.containsKey(file), !(Boolean) c.get("compatible"), file);
        assertTrue(((String) c.get("target")).endsWith(s.hvm() ? "HVM Max" : "PV Max"), c.toString());
        blocked += kinds.containsKey(file) ? 1 : 0;
      }
      assertTrue(blocked > 0 && blocked < checks.size(), "some guests blocked, some not: " + blocked);
    }
  }

  /**
   * The next day's run over a changed fleet, into the same output with --previousOutput=auto: drift
   * equals a full join of the two dates' feature tables.
   */
  @Test
  void driftFindsExactlyTheFeaturesThatChanged() throws Exception {
    Path fleet2 = work.resolve("fleet-2");
    int changed = -1;
    for (int i = 1; i < specs.size(); i++) { // guest 0 is gone
      GuestSpec s = specs.get(i);
      if (changed < 0 && s.streamVersion() == 3 && s.cpu().intel() && s.container() == Container.XL) {
        changed = i;
        Set<Variation> v = s.variations().contains(Variation.MD_CLEAR_MISSING)
            ? EnumSet.of(Variation.RTM_EXPOSED) : EnumSet.of(Variation.MD_CLEAR_MISSING, Variation.AVX512_MASKED);
        s = s.withVariations(v);
      }
      write(fleet2, i, s);
    }
    GuestSpec newcomer = GuestSpec.of("new-guest", "0b4e1f3a-aaaa-4bbb-8ccc-00000000beef").withMemory(4L << 20);
    write(fleet2, 99, newcomer);
    Path nightly = work.resolve("nightly");
    copyTree(out, nightly);
    String nextDay = "2026-01-16";
    AuditSummary summary = AuditPipeline.runAndWait(AuditPipelineTest.options(fleet2 + "/*/*", nightly.toString(),
        List.of("--previousOutput=auto", "--auditDate=" + nextDay)));
    assertTrue(summary.tables().contains(AuditTables.POLICY_DRIFT));
    try (DuckDbTables before = new DuckDbTables(nightly, AuditPipelineTest.DATE);
        DuckDbTables after = new DuckDbTables(nightly, nextDay)) {
      String sql = String.join("\n",
          "WITH a AS (SELECT guest_id, feature, present, source_uri FROM read_parquet('"
              + before.glob(AuditTables.CPUID_FEATURES) + "')),",
          "b AS (SELECT guest_id, feature, present, source_uri FROM read_parquet('"
              + after.glob(AuditTables.CPUID_FEATURES) + "'))",
          "SELECT a.guest_id, a.feature, CASE WHEN b.present THEN 'appeared' ELSE 'disappeared' END AS change",
          "FROM a JOIN b USING (guest_id, feature) WHERE a.present <> b.present",
          "UNION ALL SELECT DISTINCT guest_id, NULL, 'guest_gone' FROM a WHERE guest_id NOT IN (SELECT guest_id FROM b)",
          "UNION ALL SELECT DISTINCT guest_id, NULL, 'guest_new' FROM b WHERE guest_id NOT IN (SELECT guest_id FROM a)",
          "ORDER BY 1, 2, 3");
      List<String> expected = new ArrayList<>();
      for (Map<String, Object> r : before.query(sql)) {
        expected.add(r.get("guest_id") + " " + r.get("feature") + " " + r.get("change"));
      }
      List<String> got = new ArrayList<>();
      for (Map<String, Object> r : after.query("SELECT * FROM read_parquet('" + after.glob(AuditTables.POLICY_DRIFT)
          + "') ORDER BY guest_id, feature, change")) {
        got.add(r.get("guest_id") + " " + r.get("feature") + " " + r.get("change"));
      }
      assertEquals(expected, got);
      String changedId = specs.get(changed).uuid();
      assertTrue(got.stream().anyMatch(g -> g.startsWith(changedId + " md_clear ")), got::toString);
      String goneId = (String) before.query("SELECT guest_id FROM read_parquet('" + before.glob(AuditTables.STREAMS)
          + "') WHERE source_uri LIKE '%/" + SampleFleet.fileName(0, specs.get(0)) + "'").get(0).get("guest_id");
      assertTrue(got.contains(goneId + " null guest_gone"), got::toString);
      assertTrue(got.contains(newcomer.uuid() + " null guest_new"), got::toString);
      List<Map<String, Object>> readme = after.query(forOutput(readmeQuery("What changed since the last run"), nightly, nextDay));
      assertEquals(got.size(), readme.size(), "the README's drift query lists every change");
      assertEquals(got.size(), after.query(forOutput(queryFile("drift"), nightly, nextDay)).size(),
          "scripts/queries/drift lists every change");
    }
  }

  static void copyTree(Path from, Path to) throws IOException {
    try (java.util.stream.Stream<Path> all = Files.walk(from)) {
      for (Path p : (Iterable<Path>) all::iterator) {
        Files.copy(p, to.resolve(from.relativize(p).toString()));
      }
    }
  }

  /** The README's DuckDB query of a section, exactly as printed (the first ```sql block after the title). */
  static String readmeQuery(String after) throws IOException {
    String readme = Files.readString(Path.of("..", "README.md"));
    int at = readme.indexOf(after);
    assertTrue(at >= 0, "README has " + after);
    int start = readme.indexOf("```sql\n", at) + 7;
    return readme.substring(start, readme.indexOf("```", start)).trim();
  }

  /** A DuckDB query of scripts/queries/. */
  static String queryFile(String name) throws IOException {
    return Files.readString(Path.of("..", "scripts", "queries", name + ".duckdb.sql"));
  }

  static List<Map<String, Object>> run(DuckDbTables db, Path output, String query) throws Exception {
    return db.query(forOutput(query, output, AuditPipelineTest.DATE));
  }

  /** A query as printed (OUT and DATE to replace) for an output and audit date. */
  static String forOutput(String query, Path output, String date) {
    assertTrue(query.contains("OUT/") && query.contains("audit_date=DATE"), "the query reads one date: " + query);
    return query.replace("'OUT/", "'" + output.toAbsolutePath() + "/").replace("audit_date=DATE", "audit_date=" + date);
  }

  /** Every DuckDB query the README shows for the policy tables runs, and answers what it says. */
  @Test
  void theReadmeQueriesAnswerTheirQuestions() throws Exception {
    Set<String> tsxNoTaaNo = new TreeSet<>();
    Set<String> taaExposed = new TreeSet<>();
    Set<String> noMdClear = new TreeSet<>();
    for (int i = 0; i < specs.size(); i++) {
      GuestSpec s = specs.get(i);
      List<CpuidLeaf> cpuid = GuestImageWriter.cpuidPolicy(s);
      List<MsrEntry> msr = GuestImageWriter.msrPolicy(s);
      Boolean rtm = expectedPresent(Features.byName("rtm"), cpuid, msr);
      Boolean hle = expectedPresent(Features.byName("hle"), cpuid, msr);
      Boolean taaNo = expectedPresent(Features.byName("taa_no"), cpuid, msr);
      Boolean archCaps = expectedPresent(Features.byName("arch_caps"), cpuid, msr);
      Boolean mdClear = expectedPresent(Features.byName("md_clear"), cpuid, msr);
      String file = SampleFleet.fileName(i, s);
      if (Boolean.TRUE.equals(rtm) && !Boolean.TRUE.equals(taaNo)) {
        tsxNoTaaNo.add(file);
      }
      boolean taaNoSeen = Boolean.TRUE.equals(archCaps) && Boolean.TRUE.equals(taaNo);
      if (s.cpu().intel() && (Boolean.TRUE.equals(rtm) || Boolean.TRUE.equals(hle)) && !taaNoSeen
          && Boolean.FALSE.equals(mdClear)) {
        taaExposed.add(file);
      }
      if (Boolean.FALSE.equals(mdClear)) {
        noMdClear.add(file);
      }
    }
    try (DuckDbTables db = new DuckDbTables(out)) {
      assertEquals(tsxNoTaaNo, files(run(db, out, readmeQuery("Which guests see TSX but are not told TAA_NO?"))));
      assertEquals(taaExposed, files(run(db, out, readmeQuery("Guests exposed to TAA, and why"))));
      assertEquals(noMdClear, files(db.query("SELECT source_uri FROM read_parquet('" + db.glob(AuditTables.CPUID_FEATURES)
          + "') WHERE feature = 'md_clear' AND present = false")), "the Spark SQL md_clear query, in DuckDB");
      Set<String> ignored = new TreeSet<>();
      for (int i = 0; i < specs.size(); i++) {
        GuestSpec s = specs.get(i);
        if (s.variations().contains(Variation.HLE_REQUEST_IGNORED) && s.container() == Container.XL
            && s.streamVersion() == 3) {
          ignored.add(SampleFleet.fileName(i, s) + " CPUID_REQUEST_NOT_MET");
        }
      }
      assertFalse(ignored.isEmpty(), "the fleet has a guest whose cpuid= request its policy ignores");
      Set<String> reported = new TreeSet<>();
      for (Map<String, Object> r : run(db, out, readmeQuery("### Requested vs effective policy"))) {
        reported.add(AuditPipelineTest.fileName(r.get("source_uri")) + " " + r.get("code"));
        assertTrue(String.valueOf(r.get("message")).startsWith("hle (leaf 0x7:0 ebx bit 4)"), r.toString());
      }
      assertEquals(ignored, reported, "request findings exactly where a request was not met");
      List<Map<String, Object>> partial = run(db, out, readmeQuery("Features only some guests of a pool have"));
      assertFalse(partial.isEmpty(), "the pools differ in some feature");
      for (Map<String, Object> r : partial) {
        long with = (Long) r.get("guests_with_feature");
        assertTrue(with > 0 && with < (Long) r.get("guest_count"), r.toString());
      }
      List<Map<String, Object>> why = run(db, out, readmeQuery("Guests that cannot move to the target, and why"));
      assertEquals(db.rows(AuditTables.MIGRATION_BLOCKERS, "").size(), why.size());

      // The same questions as query files (scripts/queries/), which must give the same answers.
      assertEquals(tsxNoTaaNo, files(run(db, out, queryFile("tsx-without-taa-no"))));
      assertEquals(noMdClear, files(run(db, out, queryFile("missing-md-clear"))));
      assertEquals(why.size(), run(db, out, queryFile("migration-blockers")).size());
      assertEquals(partial.size(), run(db, out, queryFile("pool-coverage")).size());
      for (Map<String, Object> r : run(db, out, queryFile("migration-blockers"))) {
        assertTrue(((String) r.get("target")).startsWith("host-intel.txt:"), r.toString());
      }
    }
  }

  private static Set<String> files(List<Map<String, Object>> rows) {
    Set<String> out = new TreeSet<>();
    rows.forEach(r -> out.add(AuditPipelineTest.fileName(r.get("source_uri"))));
    return out;
  }

  @Test
  void badPolicyOptionsAreOneLineErrorsBeforeAnyImageIsRead() throws Exception {
    Path bad = work.resolve("bad-target.txt");
    Files.writeString(bad, "HVM Max policy: 1 leaves, 0 MSRs\n CPUID:\n  00000000:ffffffff -> zz\n");
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () ->
        AuditPipeline.runAndWait(AuditPipelineTest.options(fleet + "/*/*", work.resolve("o-bad").toString(),
            List.of("--targetPolicy=" + bad))));
    assertTrue(e.getMessage().contains("line 3"), e.getMessage());
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
    e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () ->
        AuditPipeline.runAndWait(AuditPipelineTest.options(fleet + "/*/*", work.resolve("o-bad").toString(),
            List.of("--previousOutput=" + fleet))));
    assertTrue(e.getMessage().contains("is not an audit output"), e.getMessage());
    e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () ->
        AuditPipeline.runAndWait(AuditPipelineTest.options(fleet + "/*/*", work.resolve("o-bad").toString(),
            List.of("--poolKey=pool-\\d"))));
    assertTrue(e.getMessage().contains("capture group"), e.getMessage());
    assertFalse(Files.exists(work.resolve("o-bad")), "nothing written");
  }
}
