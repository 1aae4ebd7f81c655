package xenaudit.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import xenaudit.transforms.AuditTables;

/**
 * The README's quick start, run as printed (only /tmp/ moved into a temporary folder) through the
 * scripts a newcomer types, on the runnable jar the package phase built: every command exits 0, the
 * natural glob over a generated fleet takes exactly its images, and the second night's audit finds
 * the first for drift.
 */
class QuickStartIT {
  @TempDir Path tmp;

  @Test
  void theQuickStartCommandsWorkAsPrinted() throws Exception {
    String readme = Files.readString(Path.of("..", "README.md"));
    List<String> tryIt = commands(block(readme, "Try it on a generated fleet:"));
    assertTrue(tryIt.size() >= 5, tryIt::toString);
    for (String c : tryIt) {
      run(c.replace("/tmp/", tmp + "/"));
    }
    Path fleet = tmp.resolve("fleet");
    long images = Files.readAllLines(fleet.resolve("truth").resolve("manifest.jsonl")).size();
    Path audit = tmp.resolve("audit");
    try (DuckDbTables first = new DuckDbTables(audit, "2026-12-01");
        DuckDbTables second = new DuckDbTables(audit, "2026-12-02")) {
      assertEquals(images, first.rows(AuditTables.STREAMS, "").size(), "DIR/* is the images, and all of them");
      assertEquals(images, second.rows(AuditTables.STREAMS, "").size());
      assertTrue(second.rows(AuditTables.POOL_BASELINE, "").size() > 0);
      assertTrue(second.rows(AuditTables.MIGRATION_CHECK, "").size() > 0);
      assertEquals(0, second.rows(AuditTables.POLICY_DRIFT, "").size(), "the same fleet the night before: no drift");
    }
    assertTrue(Files.isDirectory(audit.resolve(AuditTables.POLICY_DRIFT).resolve("audit_date=2026-12-02")),
        "--previousOutput=auto found 2026-12-01");

    // The first block: DIR and OUT as the user fills them in.
    String audit1 = commands(block(readme, "## Quick start")).get(0);
    assertTrue(audit1.startsWith("scripts/audit "), audit1);
    String out = run(audit1.replace("DIR", fleet.toString()).replace("OUT", tmp.resolve("out").toString()));
    assertTrue(out.contains("xenaudit: " + images + " images audited"), out);

    // The Iceberg form, as printed, run twice (today's date both times: a rerun): one snapshot each,
    // one copy of the rows.
    String iceberg = commands(block(readme, "### Iceberg tables")).get(0);
    assertTrue(iceberg.contains("--tableFormat=iceberg"), iceberg);
    Path lake = tmp.resolve("lake");
    for (int i = 0; i < 2; i++) {
      out = run(iceberg.replace("DIR", fleet.toString()).replace("OUT", lake.toString()));
      assertTrue(out.contains("xenaudit: " + images + " images audited"), out);
    }
    org.apache.iceberg.Table streams = new org.apache.iceberg.hadoop.HadoopTables()
        .load(lake.resolve("xenaudit").resolve(AuditTables.STREAMS).toString());
    int snapshots = 0;
    for (org.apache.iceberg.Snapshot x : streams.snapshots()) {
      snapshots++;
    }
    assertEquals(2, snapshots);
    assertEquals(String.valueOf(images), streams.currentSnapshot().summary().get("total-records"));
  }

  /** The first ```sh block after a heading or sentence of the README. */
  static String block(String readme, String after) {
    int at = readme.indexOf(after);
    assertTrue(at >= 0, "README has " + after);
    int start = readme.indexOf("```sh\n", at) + 6;
    return readme.substring(start, readme.indexOf("```", start));
  }

  /** Its commands: comments dropped, continued lines joined. */
  static List<String> commands(String block) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    for (String line : block.split("\n")) {
      String l = line.strip();
      if (l.startsWith("#") || l.isEmpty()) {
        continue;
      }
      if (l.endsWith("\\")) {
        cur.append(l, 0, l.length() - 1).append(' ');
        continue;
      }
      out.add(cur.append(l).toString());
      cur.setLength(0);
    }
    return out;
  }

  /** Runs a command line with bash from the checkout's root; it must exit 0 within 5 minutes. */
  static String run(String command) throws IOException, InterruptedException {
    Path log = Files.createTempFile("quickstart", ".log");
    Process p = new ProcessBuilder("bash", "-c", command).directory(Path.of("..").toFile())
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    boolean done = p.waitFor(5, TimeUnit.MINUTES);
    String output = Files.readString(log, StandardCharsets.UTF_8);
    if (!done) {
      p.destroyForcibly();
    }
    assertTrue(done, command + " did not end: " + output);
    assertEquals(0, p.exitValue(), command + "\n" + output);
    return output;
  }
}
