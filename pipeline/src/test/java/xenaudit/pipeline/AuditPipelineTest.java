package xenaudit.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.zip.GZIPOutputStream;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import xenaudit.format.CpuidLeaf;
import xenaudit.format.FindingCode;
import xenaudit.format.ImageReader;
import xenaudit.format.ImageReport;
import xenaudit.format.MsrEntry;
import xenaudit.sample.ManifestEntry;
import xenaudit.sample.SampleFleet;
import xenaudit.transforms.AuditTables;

/**
 * The whole job on a generated fleet, local and on a real S3 server, read back with DuckDB and
 * compared with the generator's truth, row by row and column by column.
 */
class AuditPipelineTest {
  static final List<String> STREAMS_COLUMNS = List.of("source_uri", "size_bytes", "container", "stream_version",
      "guest_type", "xen_major", "xen_minor", "guest_name", "guest_uuid", "guest_id", "status", "error_count",
      "warning_count", "record_count", "page_count", "cpuid_leaf_count", "msr_count", "bytes_read", "audit_run_id");
  static final List<String> CPUID_COLUMNS =
      List.of("guest_id", "source_uri", "leaf", "subleaf", "eax", "ebx", "ecx", "edx");
  static final List<String> MSR_COLUMNS = List.of("guest_id", "source_uri", "msr_index", "flags", "value", "value_hex");
  static final List<String> FINDINGS_COLUMNS = List.of("guest_id", "source_uri", "severity", "code", "message",
      "byte_offset", "record_index", "record_type", "layer");
  static final Map<String, List<String>> COLUMNS = Map.of(AuditTables.STREAMS, STREAMS_COLUMNS,
      AuditTables.CPUID_POLICY, CPUID_COLUMNS, AuditTables.MSR_POLICY, MSR_COLUMNS, AuditTables.FINDINGS, FINDINGS_COLUMNS);
  static final List<String> STRING_COLUMNS = List.of("source_uri", "container", "guest_type", "guest_name",
      "guest_uuid", "guest_id", "status", "audit_run_id", "value_hex", "severity", "code", "message", "record_type", "layer");

  @TempDir static Path work;
  static Path fleet;
  static Map<String, ManifestEntry> truth;

  @BeforeAll
  static void generateFleet() throws IOException {
    fleet = work.resolve("fleet");
    List<ManifestEntry> entries = SampleFleet.generate(
        SampleFleet.Options.defaults(fleet).withGuests(10).withSeed(11).withMemory(16L << 20).withCorrupt(true));
    // The manifest is the truth, not an input: DIR/* takes the images alone (it lies in DIR/truth/).
    truth = entries.stream().collect(Collectors.toMap(ManifestEntry::file, e -> e));
  }

  /** The audit date of the tests' runs, unless one gives its own. */
  static final String DATE = "2026-01-15";

  static AuditOptions options(String input, String output, List<String> extra) {
    List<String> args = new ArrayList<>(List.of("--runner=DirectRunner", "--targetParallelism=2",
        "--input=" + input, "--output=" + output, "--auditRunId=test-run"));
    if (extra.stream().noneMatch(a -> a.startsWith("--auditDate="))) {
      args.add("--auditDate=" + DATE);
    }
    args.addAll(extra);
    PipelineOptionsFactory.register(AuditOptions.class);
    return PipelineOptionsFactory.fromArgs(args.toArray(String[]::new)).withValidation().as(AuditOptions.class);
  }

  static String fileName(Object sourceUri) {
    String s = (String) sourceUri;
    return s.substring(s.lastIndexOf('/') + 1);
  }

  @Test
  void localFleetTablesMatchTheTruthAndVerifyImage() throws Exception {
    Path out = work.resolve("out-local");
    AuditSummary summary = AuditPipeline.runAndWait(options(fleet + "/*", out.toString(), List.of()));
    assertEquals(truth.size(), summary.images());
    try (DuckDbTables db = new DuckDbTables(out)) {
      checkSchemas(db);
      checkAgainstTruth(db, "");
      checkTsxQuery(db, out);
      checkInvalidArchivesQuery(db, out);
      checkMetrics(db, summary);
      // verify-image's verdict (the format core on the local file) equals the pipeline's.
      for (Map<String, Object> row : db.rows(AuditTables.STREAMS, "")) {
        ImageReport r = ImageReader.read(Path.of((String) row.get("source_uri")));
        assertEquals(r.status().label(), row.get("status"), row::toString);
        assertEquals(r.errorCount(), row.get("error_count"), row::toString);
        assertEquals(r.warningCount(), row.get("warning_count"), row::toString);
        assertEquals(r.bytesRead(), row.get("bytes_read"), row::toString);
      }
    }
  }

  /** The job's Beam metrics (the summary) against the tables. */
  private static void checkMetrics(DuckDbTables db, AuditSummary summary) throws Exception {
    Map<String, Object> t = db.query("SELECT sum(record_count) AS records, sum(bytes_read) AS bytes_read, "
        + "sum(size_bytes) AS size, sum(error_count) AS errors, sum(warning_count) AS warnings FROM read_parquet('"
        + db.glob(AuditTables.STREAMS) + "')").get(0);
    assertEquals(((Number) t.get("records")).longValue(), summary.records());
    assertEquals(((Number) t.get("bytes_read")).longValue(), summary.bytesRead());
    assertEquals(((Number) t.get("size")).longValue(), summary.bytesAudited());
    assertEquals(summary.bytesAudited() - summary.bytesRead(), summary.bytesSkipped());
    assertTrue(summary.bytesSkipped() > summary.bytesRead(), "page payload is skipped, not read");
    assertEquals(((Number) t.get("errors")).longValue(), summary.severityCounts().getOrDefault("error", 0L));
    assertEquals(((Number) t.get("warnings")).longValue(), summary.severityCounts().getOrDefault("warning", 0L));
    Map<String, Long> byCode = new java.util.TreeMap<>();
    for (Map<String, Object> r : db.query("SELECT code, count(*) AS n FROM read_parquet('"
        + db.glob(AuditTables.FINDINGS) + "') GROUP BY code")) {
      byCode.put((String) r.get("code"), (Long) r.get("n"));
    }
    assertEquals(byCode, summary.findingCounts());
  }

  /** scripts/queries/invalid-archives against the format core's own verdicts on the same files. */
  private static void checkInvalidArchivesQuery(DuckDbTables db, Path out) throws Exception {
    Map<String, java.util.Set<String>> expected = new java.util.TreeMap<>();
    for (String f : truth.keySet()) {
      ImageReport r = ImageReader.read(fleet.resolve(f));
      if (r.status() != xenaudit.format.ImageStatus.VALID) {
        r.findings().stream().filter(x -> x.severity() == xenaudit.format.Severity.ERROR)
            .forEach(x -> expected.computeIfAbsent(x.code().name(), k -> new java.util.TreeSet<>()).add(f));
      }
    }
    assertFalse(expected.isEmpty(), "the fleet has invalid archives");
    String sql = Files.readString(Path.of("..", "scripts", "queries", "invalid-archives.duckdb.sql"));
    Map<String, Long> got = new java.util.TreeMap<>();
    for (Map<String, Object> r : db.query(PolicyTablesTest.forOutput(sql, out, DATE))) {
      got.put((String) r.get("code"), (Long) r.get("archives"));
    }
    Map<String, Long> want = new java.util.TreeMap<>();
    expected.forEach((code, archives) -> want.put(code, (long) archives.size()));
    assertEquals(want, got);
  }

  /** The README's first example query, against the truth: RTM exposed, TAA_NO not set. */
  private static void checkTsxQuery(DuckDbTables db, Path out) throws Exception {
    String sql = String.join("\n",
        "SELECT s.guest_id, s.guest_name, s.source_uri",
        "FROM read_parquet('OUT/streams/audit_date=DATE/*.parquet') s",
        "JOIN read_parquet('OUT/cpuid_policy/audit_date=DATE/*.parquet') c USING (guest_id, source_uri)",
        "WHERE c.leaf = 7 AND c.subleaf = 0 AND (c.ebx >> 11) & 1 = 1",
        "  AND NOT EXISTS (SELECT 1 FROM read_parquet('OUT/msr_policy/audit_date=DATE/*.parquet') m",
        "                  WHERE m.source_uri = s.source_uri AND m.msr_index = 266 AND (m.value >> 8) & 1 = 1);");
    String readme = Files.readString(Path.of("..", "README.md"));
    assertTrue(readme.contains(sql), "the README shows this query");
    java.util.Set<String> got = db.query(PolicyTablesTest.forOutput(sql, out, DATE)).stream()
        .map(r -> fileName(r.get("source_uri"))).filter(f -> truth.get(f).corruption() == null)
        .collect(Collectors.toSet());
    java.util.Set<String> expected = truth.values().stream().filter(e -> e.corruption() == null)
        .filter(e -> e.cpuid().stream().anyMatch(l -> l.leaf() == 7 && l.subleaf() == 0 && (l.ebx() >>> 11 & 1) == 1))
        .filter(e -> e.msr().stream().noneMatch(m -> m.index() == 0x10A && (m.value() >>> 8 & 1) == 1))
        .map(ManifestEntry::file).collect(Collectors.toSet());
    assertFalse(expected.isEmpty(), "the fleet has a guest with TSX and no TAA_NO");
    assertEquals(expected, got);
  }

  @Test
  void s3InAndOutAgainstARealLocalServer() throws Exception {
    try (S3ProxyServer s3 = S3ProxyServer.start(work.resolve("s3"))) {
      s3.bucket("archive");
      Path outBucket = s3.bucket("audit");
      try (S3Client client = S3Client.builder()
          .endpointOverride(URI.create(s3.endpoint()))
          .region(Region.US_EAST_1)
          .forcePathStyle(true)
          .credentialsProvider(StaticCredentialsProvider.create(
              AwsBasicCredentials.create(S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY)))
          .build()) {
        for (String f : truth.keySet()) {
          // A sub-prefix per kind, so the pattern must descend (**).
          String key = "images/" + (truth.get(f).corruption() == null ? "fleet/" : "corrupt/") + f;
          client.putObject(PutObjectRequest.builder().bucket("archive").key(key).build(),
              RequestBody.fromFile(fleet.resolve(f)));
        }
      }
      AuditSummary summary = AuditPipeline.runAndWait(
          options("s3://archive/images/**", "s3://audit/run-1", s3.beamArgs()));
      assertEquals(truth.size(), summary.images());
      // The objects the job wrote through the S3 API are plain files in the server's data folder.
      try (DuckDbTables db = new DuckDbTables(outBucket.resolve("run-1"))) {
        checkSchemas(db);
        checkAgainstTruth(db, "s3://archive/images/");
      }
      // Read over S3 (bounded ranged GETs) or from local files, every table is the same, row by row and
      // column by column; the local run uses the remote seek threshold so bytes_read compares too.
      Path local = work.resolve("out-local-as-remote");
      AuditPipeline.runAndWait(options(fleet + "/*", local.toString(), List.of("--seekThreshold=1048576")));
      try (DuckDbTables s3Tables = new DuckDbTables(outBucket.resolve("run-1")); DuckDbTables localTables = new DuckDbTables(local)) {
        for (String table : AuditTables.ALWAYS) {
          List<List<Object>> fromS3 = comparable(s3Tables, table);
          assertEquals(comparable(localTables, table), fromS3, table + ": S3 and local audits differ");
          assertFalse(fromS3.isEmpty() && table.equals(AuditTables.STREAMS), table);
        }
      }
      // A v2 guest has no policy and no findings: those tables still get a (schema-only) file on S3.
      String v2 = truth.values().stream()
          .filter(e -> e.corruption() == null && e.streamVersion() == 2 && e.expectedCodes().isEmpty())
          .map(ManifestEntry::file).sorted().findFirst().orElseThrow();
      AuditPipeline.runAndWait(options("s3://archive/images/fleet/" + v2, "s3://audit/run-v2", s3.beamArgs()));
      try (DuckDbTables db = new DuckDbTables(outBucket.resolve("run-v2"))) {
        checkSchemas(db);
        assertEquals(1, db.rows(AuditTables.STREAMS, "").size());
        assertEquals(0, db.rows(AuditTables.CPUID_POLICY, "").size());
        assertEquals(0, db.rows(AuditTables.FINDINGS, "").size());
      }
      // On S3 too: the same date again replaces its partition (one copy of each row), the next date
      // adds one beside it, and --previousOutput=auto finds the earlier date.
      AuditPipeline.runAndWait(options("s3://archive/images/fleet/" + v2, "s3://audit/run-v2", s3.beamArgs()));
      List<String> next = new ArrayList<>(s3.beamArgs());
      next.addAll(List.of("--auditDate=2026-01-16", "--previousOutput=auto"));
      AuditSummary nextDay = AuditPipeline.runAndWait(options("s3://archive/images/fleet/" + v2, "s3://audit/run-v2", next));
      assertTrue(nextDay.tables().contains(AuditTables.POLICY_DRIFT), "auto found " + DATE);
      try (DuckDbTables first = new DuckDbTables(outBucket.resolve("run-v2"), DATE);
          DuckDbTables second = new DuckDbTables(outBucket.resolve("run-v2"), "2026-01-16")) {
        assertEquals(1, first.rows(AuditTables.STREAMS, "").size(), "a rerun of the date leaves one copy");
        assertEquals(1, second.rows(AuditTables.STREAMS, "").size());
        assertEquals(0, second.rows(AuditTables.POLICY_DRIFT, "").size(), "the same guest: no drift");
      }
      assertFalse(Files.exists(outBucket.resolve("run-v2").resolve(".xenaudit-temp")), "no temporary objects left");
    }
  }

  @Test
  void compressedImagesGiveTheSameRowsAsUncompressed() throws Exception {
    Path dir = Files.createDirectories(work.resolve("compressed"));
    List<String> picked = truth.values().stream()
        .filter(e -> e.corruption() == null && !e.cpuid().isEmpty())
        .map(ManifestEntry::file).sorted().limit(2).collect(Collectors.toList());
    picked.add(truth.values().stream().filter(e -> e.corruption() != null && !e.valid())
        .map(ManifestEntry::file).sorted().findFirst().orElseThrow());
    for (String f : picked) {
      Files.copy(fleet.resolve(f), dir.resolve(f));
      try (InputStream in = Files.newInputStream(fleet.resolve(f));
          OutputStream gz = new GZIPOutputStream(Files.newOutputStream(dir.resolve(f + ".gz")));
          OutputStream zst = new com.github.luben.zstd.ZstdOutputStream(Files.newOutputStream(dir.resolve(f + ".zst")));
          OutputStream bz2 = new org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream(
              Files.newOutputStream(dir.resolve(f + ".bz2")))) {
        byte[] buf = in.readAllBytes();
        gz.write(buf);
        zst.write(buf);
        bz2.write(buf);
      }
    }
    Path out = work.resolve("out-compressed");
    AuditPipeline.runAndWait(options(dir + "/*", out.toString(), List.of()));
    try (DuckDbTables db = new DuckDbTables(out)) {
      Map<String, Map<String, Object>> streams = new HashMap<>();
      for (Map<String, Object> r : db.rows(AuditTables.STREAMS, "")) {
        streams.put(fileName(r.get("source_uri")), r);
      }
      assertEquals(picked.size() * 4, streams.size());
      for (String f : picked) {
        Map<String, Object> plain = streams.get(f);
        for (String ext : List.of(".gz", ".zst", ".bz2")) {
          Map<String, Object> c = streams.get(f + ext);
          assertNotNull(c, f + ext);
          // guest_id falls back to the object's URI for bare streams, so it differs by extension.
          for (String col : List.of("status", "container", "stream_version", "guest_type", "guest_name",
              "error_count", "warning_count", "record_count", "page_count", "cpuid_leaf_count", "msr_count")) {
            assertEquals(plain.get(col), c.get(col), f + ext + " " + col);
          }
          for (String table : List.of(AuditTables.CPUID_POLICY, AuditTables.MSR_POLICY)) {
            assertEquals(policyRows(db, table, dir.resolve(f)), policyRows(db, table, dir.resolve(f + ext)), f + ext + " " + table);
          }
          assertEquals(findingRows(db, dir.resolve(f)), findingRows(db, dir.resolve(f + ext)), f + ext + " findings");
        }
      }
    }
  }

  @Test
  void anInputThatMatchesNothingIsAClearError() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () ->
        AuditPipeline.runAndWait(options(work.resolve("nothing-here") + "/*", work.resolve("out-none").toString(), List.of())));
    assertTrue(e.getMessage().contains("matches no object"), e.getMessage());
  }

  /** A table's rows, sorted, with object URIs (and guest ids made of them) cut to the file name. */
  private static List<List<Object>> comparable(DuckDbTables db, String table) throws Exception {
    List<List<Object>> out = new ArrayList<>();
    for (Map<String, Object> r : db.rows(table, "")) {
      String uri = (String) r.get("source_uri");
      List<Object> v = new ArrayList<>();
      for (Map.Entry<String, Object> c : r.entrySet()) {
        Object x = c.getValue();
        v.add(uri.equals(x) ? fileName(uri) : x);
      }
      out.add(v);
    }
    out.sort(java.util.Comparator.comparing(Object::toString));
    return out;
  }

  private static List<List<Object>> policyRows(DuckDbTables db, String table, Path source) throws Exception {
    List<List<Object>> out = new ArrayList<>();
    for (Map<String, Object> r : db.rows(table, "WHERE source_uri = '" + source + "' ORDER BY 3, 4")) {
      List<Object> v = new ArrayList<>(r.values());
      v.subList(0, 2).clear(); // guest_id (the URI for bare streams) and source_uri differ by extension
      out.add(v);
    }
    return out;
  }

  private static List<List<Object>> findingRows(DuckDbTables db, Path source) throws Exception {
    List<List<Object>> out = new ArrayList<>();
    for (Map<String, Object> r : db.rows(AuditTables.FINDINGS,
        "WHERE source_uri = '" + source + "' ORDER BY byte_offset, code, message")) {
      out.add(List.of(r.get("severity"), r.get("code"), r.get("byte_offset"), String.valueOf(r.get("record_index")),
          r.get("record_type"), r.get("layer")));
    }
    return out;
  }

  private static void checkSchemas(DuckDbTables db) throws Exception {
    for (String table : COLUMNS.keySet()) {
      Map<String, String> types = db.physicalTypes(table);
      assertEquals(COLUMNS.get(table), new ArrayList<>(types.keySet()), table + " columns");
      types.forEach((col, type) -> assertEquals(STRING_COLUMNS.contains(col) ? "BYTE_ARRAY" : "INT64", type,
          table + "." + col));
    }
  }

  /** Every row of every table against the manifest. */
  private static void checkAgainstTruth(DuckDbTables db, String uriPrefix) throws Exception {
    List<Map<String, Object>> streams = db.rows(AuditTables.STREAMS, "");
    assertEquals(truth.size(), streams.size(), "exactly one streams row per input object");
    Map<String, Map<String, Object>> byFile = new HashMap<>();
    for (Map<String, Object> r : streams) {
      Map<String, Object> before = byFile.put(fileName(r.get("source_uri")), r);
      if (before != null) {
        throw new AssertionError("two streams rows for one object: " + before + " and " + r + "; files: "
            + db.query("SELECT filename, count(*) FROM read_parquet('" + db.glob(AuditTables.STREAMS)
                + "', filename=true) GROUP BY 1"));
      }
      assertTrue(((String) r.get("source_uri")).startsWith(uriPrefix), r::toString);
      assertEquals("test-run", r.get("audit_run_id"));
    }
    for (ManifestEntry e : truth.values()) {
      Map<String, Object> r = byFile.get(e.file());
      assertNotNull(r, "no streams row for " + e.file());
      assertEquals(e.expectedStatus(), r.get("status"), e.file());
      assertEquals(e.sizeBytes(), r.get("size_bytes"), e.file());
      String uri = (String) r.get("source_uri");
      List<String> codes = db.rows(AuditTables.FINDINGS, "WHERE source_uri = '" + uri + "'").stream()
          .map(f -> (String) f.get("code")).collect(Collectors.toList());
      for (FindingCode c : e.expectedCodes()) {
        assertTrue(codes.contains(c.name()), e.file() + " lacks " + c + ": " + codes);
      }
      if (e.corruption() != null) {
        continue; // identity of damaged images is checked by the format tests
      }
      assertEquals(e.container(), r.get("container"), e.file());
      assertEquals((long) e.streamVersion(), r.get("stream_version"), e.file());
      assertEquals(e.guestType(), r.get("guest_type"), e.file());
      assertEquals(e.xenVersion(), r.get("xen_major") + "." + r.get("xen_minor"), e.file());
      assertEquals(e.guestName(), r.get("guest_name"), e.file());
      assertEquals(e.guestUuid(), r.get("guest_uuid"), e.file());
      String id = e.guestUuid() != null ? e.guestUuid() : e.guestName() != null ? e.guestName() : uri;
      assertEquals(id, r.get("guest_id"), e.file());
      assertEquals(e.pages(), r.get("page_count"), e.file());
      assertEquals((long) e.cpuid().size(), r.get("cpuid_leaf_count"), e.file());
      assertEquals((long) e.msr().size(), r.get("msr_count"), e.file());

      List<Map<String, Object>> cpuid = db.rows(AuditTables.CPUID_POLICY, "WHERE source_uri = '" + uri + "'");
      assertEquals(e.cpuid().size(), cpuid.size(), e.file());
      List<CpuidLeaf> got = cpuid.stream().map(x -> new CpuidLeaf(i(x, "leaf"), i(x, "subleaf"), i(x, "eax"),
          i(x, "ebx"), i(x, "ecx"), i(x, "edx"))).sorted(AuditPipelineTest::byLeaf).collect(Collectors.toList());
      assertEquals(e.cpuid().stream().sorted(AuditPipelineTest::byLeaf).collect(Collectors.toList()), got, e.file());
      for (Map<String, Object> x : cpuid) {
        assertEquals(id, x.get("guest_id"));
        for (String reg : List.of("leaf", "subleaf", "eax", "ebx", "ecx", "edx")) {
          long v = (Long) x.get(reg);
          assertTrue(v >= 0 && v <= 0xFFFFFFFFL, "u32 stored unsigned in INT64: " + reg + "=" + v);
        }
      }
      List<Map<String, Object>> msr = db.rows(AuditTables.MSR_POLICY, "WHERE source_uri = '" + uri + "' ORDER BY msr_index");
      List<MsrEntry> gotMsr = msr.stream().map(x -> new MsrEntry(i(x, "msr_index"), i(x, "flags"), (Long) x.get("value")))
          .collect(Collectors.toList());
      assertEquals(e.msr().stream().sorted((a, b) -> Long.compare(a.uIndex(), b.uIndex())).collect(Collectors.toList()),
          gotMsr, e.file());
      for (Map<String, Object> x : msr) {
        assertEquals(String.format("0x%016x", (Long) x.get("value")), x.get("value_hex"));
      }
    }
  }

  private static int i(Map<String, Object> row, String col) {
    return (int) (long) (Long) row.get(col);
  }

  private static int byLeaf(CpuidLeaf a, CpuidLeaf b) {
    int c = Long.compare(a.uLeaf(), b.uLeaf());
    return c != 0 ? c : Long.compare(a.uSubleaf(), b.uSubleaf());
  }

}
