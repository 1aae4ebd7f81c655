package xenaudit.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import xenaudit.sample.GuestImageWriter;
import xenaudit.sample.GuestSpec;
import xenaudit.transforms.AuditTables;

/**
 * A nightly job's life on one output: partitions per --auditDate, a rerun of a date replaces
 * exactly that date (one copy of each row), the next date leaves the first byte for byte as it was,
 * and --previousOutput=auto compares with the newest earlier date (a first run has none: no drift).
 */
class AuditDatePartitionsTest {
  @TempDir Path dir;

  @Test
  void datesArePartitionsAndARerunReplacesOnlyItsOwn() throws Exception {
    Path images = Files.createDirectories(dir.resolve("images"));
    for (int i = 0; i < 4; i++) {
      GuestImageWriter.write(GuestSpec.of("g" + i, "0b4e1f3a-aaaa-4bbb-8ccc-00000000000" + i).withMemory(2L << 20),
          images.resolve("g" + i + ".xl"));
    }
    Path out = dir.resolve("out");

    Object[] r = CommandLineTest.run(args(images, out, "2026-03-01", "first", "--previousOutput=auto"));
    assertEquals(0, r[0], (String) r[1]);
    assertTrue(((String) r[1]).contains("no audit before 2026-03-01"), "a first run has nothing to compare: " + r[1]);
    assertFalse(Files.exists(out.resolve(AuditTables.POLICY_DRIFT)), "no drift table without an earlier date");
    try (DuckDbTables db = new DuckDbTables(out, "2026-03-01")) {
      assertEquals(4, db.rows(AuditTables.STREAMS, "").size());
    }

    // The same date again, after a guest was removed: its partitions are replaced, not added to.
    Files.delete(images.resolve("g3.xl"));
    r = CommandLineTest.run(args(images, out, "2026-03-01", "again"));
    assertEquals(0, r[0], (String) r[1]);
    try (DuckDbTables db = new DuckDbTables(out)) {
      List<Map<String, Object>> rows = db.query("SELECT audit_run_id, count(*) AS n, count(DISTINCT source_uri) AS d FROM "
          + "read_parquet('" + db.glob(AuditTables.STREAMS) + "') GROUP BY ALL");
      assertEquals(List.of(Map.of("audit_run_id", "again", "n", 3L, "d", 3L)), rows, "one copy, the rerun's");
      assertEquals(3L * xenaudit.policy.Features.count(), db.query("SELECT count(*) AS n FROM read_parquet('"
          + db.glob(AuditTables.CPUID_FEATURES) + "')").get(0).get("n"));
    }
    Map<String, String> firstDate = digests(out, "audit_date=2026-03-01");
    assertTrue(firstDate.size() >= 6, firstDate::toString);

    // The next night, with a guest changed back in: a new partition beside the first, drift against it.
    GuestImageWriter.write(GuestSpec.of("g9", "0b4e1f3a-aaaa-4bbb-8ccc-000000000009").withMemory(2L << 20),
        images.resolve("g9.xl"));
    r = CommandLineTest.run(args(images, out, "2026-03-02", "second", "--previousOutput=auto"));
    assertEquals(0, r[0], (String) r[1]);
    assertEquals(firstDate, digests(out, "audit_date=2026-03-01"), "the first date is untouched");
    try (DuckDbTables db = new DuckDbTables(out, "2026-03-02")) {
      assertEquals(4, db.rows(AuditTables.STREAMS, "").size());
      assertEquals(List.of(Map.of("guest_id", "0b4e1f3a-aaaa-4bbb-8ccc-000000000009", "change", "guest_new")),
          db.query("SELECT guest_id, change FROM read_parquet('" + db.glob(AuditTables.POLICY_DRIFT) + "')"));
    }
    // DuckDB and Hive-style readers see the date as a column.
    try (DuckDbTables db = new DuckDbTables(out)) {
      assertEquals(List.of(Map.of("d", "2026-03-01", "n", 3L), Map.of("d", "2026-03-02", "n", 4L)),
          db.query("SELECT CAST(audit_date AS VARCHAR) AS d, count(*) AS n FROM read_parquet('"
              + db.glob(AuditTables.STREAMS) + "', hive_partitioning = true) GROUP BY ALL ORDER BY d"));
    }
    assertFalse(Files.exists(out.resolve(".xenaudit-temp")), "no temporary folder left");

    // A backfill of an older date: auto finds nothing earlier; the later dates stay.
    r = CommandLineTest.run(args(images, out, "2026-02-28", "backfill", "--previousOutput=auto"));
    assertEquals(0, r[0], (String) r[1]);
    assertEquals(firstDate, digests(out, "audit_date=2026-03-01"));

    r = CommandLineTest.run(args(images, out, "2026-02-30", "bad"));
    assertEquals(2, r[0]);
    assertEquals("xenaudit: --auditDate 2026-02-30 is not a date of the form YYYY-MM-DD", ((String) r[1]).strip());
  }

  private static String[] args(Path images, Path out, String date, String runId, String... more) {
    List<String> a = new java.util.ArrayList<>(List.of("--runner=DirectRunner", "--input=" + images + "/*",
        "--output=" + out, "--auditDate=" + date, "--auditRunId=" + runId));
    a.addAll(List.of(more));
    return a.toArray(String[]::new);
  }

  /** Path to SHA-256 of every file under the output whose path contains {@code part} (all when empty). */
  private static Map<String, String> digests(Path out, String... part) throws Exception {
    Map<String, String> d = new TreeMap<>();
    try (Stream<Path> all = Files.walk(out)) {
      for (Path p : (Iterable<Path>) all::iterator) {
        String rel = out.relativize(p).toString();
        if (Files.isRegularFile(p) && (part.length == 0 || rel.contains(part[0]))) {
          d.put(rel, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
        }
      }
    }
    return d;
  }
}
