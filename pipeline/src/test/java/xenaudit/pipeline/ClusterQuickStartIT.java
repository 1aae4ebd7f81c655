package xenaudit.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import xenaudit.sample.ManifestEntry;
import xenaudit.sample.SampleFleet;
import xenaudit.transforms.AuditTables;

/**
 * The README's "Real clusters" block run as printed (DIR and OUT filled in; its ports and the
 * default cluster folder as they are): each cluster starts, the audit submitted to it gives one
 * row per image, and stop leaves nothing running.
 */
// Two clusters started and a jar uploaded to each: .ci/run runs it on its slow line (-Dxenaudit.slow=true).
@org.junit.jupiter.api.condition.EnabledIfSystemProperty(named = "xenaudit.slow", matches = "true")
class ClusterQuickStartIT {
  @TempDir Path tmp;

  @Test
  void theClusterCommandsWorkAsPrinted() throws Exception {
    String readme = Files.readString(Path.of("..", "README.md"));
    List<String> commands = QuickStartIT.commands(QuickStartIT.block(readme, "### Real clusters"));
    assertEquals(List.of("scripts/cluster start flink", "scripts/audit", "scripts/cluster stop flink",
        "scripts/cluster start spark", "scripts/audit", "scripts/cluster stop spark"),
        commands.stream().map(c -> c.startsWith("scripts/audit ") ? "scripts/audit" : c).toList(), commands::toString);
    Path fleet = tmp.resolve("fleet");
    List<ManifestEntry> images = SampleFleet.generate(SampleFleet.Options.defaults(fleet).withGuests(8).withSeed(5)
        .withMemory(4L << 20).withCorrupt(true));
    int audits = 0;
    for (String c : commands) {
      Path out = tmp.resolve("out-" + audits);
      String output = QuickStartIT.run(c.replace("DIR", fleet.toString()).replace("OUT", out.toString()));
      if (c.startsWith("scripts/audit ")) {
        audits++;
        assertTrue(output.contains("xenaudit: " + images.size() + " images audited"), output);
        try (DuckDbTables db = new DuckDbTables(out)) {
          var r = db.query("SELECT count(*) AS n, count(DISTINCT source_uri) AS d FROM read_parquet('"
              + db.glob(AuditTables.STREAMS) + "')").get(0);
          assertEquals((long) images.size(), r.get("n"), c + ": one row per image");
          assertEquals((long) images.size(), r.get("d"), c + ": each image once");
        }
      }
      if (c.startsWith("scripts/cluster stop ")) {
        assertNotEquals(0, status(c.substring("scripts/cluster stop ".length())), c + ": nothing left running");
      }
    }
    assertEquals(2, audits);
  }

  /** Exit status of {@code scripts/cluster status ENGINE}: 0 while it runs. */
  private static int status(String engine) throws Exception {
    Process p = new ProcessBuilder("scripts/cluster", "status", engine).directory(Path.of("..").toFile())
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    return p.exitValue();
  }

  /** A failed step must not leave a cluster holding the README's ports. */
  @AfterEach
  void stopBoth() throws Exception {
    for (String engine : List.of("flink", "spark")) {
      Process p = new ProcessBuilder("scripts/cluster", "stop", engine).directory(Path.of("..").toFile())
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      p.waitFor(120, TimeUnit.SECONDS);
    }
  }
}
