package xenaudit.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import xenaudit.sample.GuestImageWriter;
import xenaudit.sample.GuestSpec;
import xenaudit.sample.WrittenImage;
import xenaudit.transforms.AuditTables;

/**
 * Memory does not grow with image size: a 64 GiB guest (a sparse file) is audited by the whole
 * job with a 256 MiB heap, and by the format core alone with 32 MiB.
 */
class SmallHeapTest {
  @TempDir Path dir;

  private static int runJava(String heap, Path log, String... mainAndArgs) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        heap, "-cp", System.getProperty("java.class.path")));
    cmd.addAll(List.of(mainAndArgs));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!p.waitFor(5, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("timed out: " + Files.readString(log));
    }
    return p.exitValue();
  }

  @Test
  void a64GiBGuestIsAuditedWithSmallHeaps() throws Exception {
    GuestSpec spec = GuestSpec.of("huge-64g", "0b4e1f3a-9999-4aaa-8bbb-cccccccccccc").withMemory(64L << 30);
    Path images = Files.createDirectories(dir.resolve("images"));
    WrittenImage img = GuestImageWriter.write(spec, images.resolve("huge.xl"));
    assertTrue(img.size() > (64L << 30), "a 64 GiB guest image");

    Path coreLog = dir.resolve("core.log");
    int core = runJava("-Xmx32m", coreLog, "xenaudit.cli.VerifyImage", images.resolve("huge.xl").toString());
    assertEquals(0, core, Files.readString(coreLog));
    assertTrue(Files.readString(coreLog).contains(": VALID"), Files.readString(coreLog));

    Path out = dir.resolve("out");
    Path jobLog = dir.resolve("job.log");
    int job = runJava("-Xmx256m", jobLog, "xenaudit.pipeline.AuditPipeline",
        "--input=" + images + "/*", "--output=" + out, "--auditRunId=small-heap");
    assertEquals(0, job, Files.readString(jobLog));
    try (DuckDbTables db = new DuckDbTables(out)) {
      List<Map<String, Object>> rows = db.rows(AuditTables.STREAMS, "");
      assertEquals(1, rows.size());
      assertEquals("valid", rows.get(0).get("status"));
      assertEquals(img.pages(), rows.get(0).get("page_count"));
    }
  }
}
