package xenaudit.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import xenaudit.sample.GuestImageWriter;
import xenaudit.sample.GuestSpec;

/** The command's exit status and its one-line errors, as a scheduled job sees them. */
class CommandLineTest {
  @TempDir Path dir;

  /** Runs the command, capturing stderr; returns {exit status, stderr}. */
  static Object[] run(String... args) {
    PrintStream err = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      int exit = AuditPipeline.run(args);
      return new Object[] {exit, captured.toString(StandardCharsets.UTF_8)};
    } finally {
      System.setErr(err);
    }
  }

  @Test
  void badOptionsAreOneLineAndExitTwo() {
    Object[] r = run("--inptu=x");
    assertEquals(2, r[0]);
    String err = (String) r[1];
    assertTrue(err.startsWith("xenaudit: ") && err.contains("Did you mean 'input'?"), err);
    assertEquals(1, err.strip().lines().count(), err);

    r = run("--input=" + dir.resolve("none") + "/*", "--output=" + dir.resolve("out"), "--maxFindingsPerImage=abc");
    assertEquals(2, r[0]);
    assertEquals(1, ((String) r[1]).strip().lines().count(), (String) r[1]);

    r = run("--input=" + dir.resolve("none") + "/*", "--output=" + dir.resolve("out"));
    assertEquals(2, r[0]);
    assertTrue(((String) r[1]).contains("matches no object"), (String) r[1]);
    assertFalse(Files.exists(dir.resolve("out")), "nothing written");
  }

  @Test
  void failOnInvalidExitsThreeAfterWritingTheTables() throws Exception {
    Path images = Files.createDirectories(dir.resolve("images"));
    GuestImageWriter.write(GuestSpec.of("ok", "0b4e1f3a-aaaa-4bbb-8ccc-000000000004").withMemory(2L << 20),
        images.resolve("ok.xl"));
    Files.write(images.resolve("broken.xl"), new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9});
    String[] common = {"--runner=DirectRunner", "--input=" + images + "/*", "--output=" + dir.resolve("out")};

    Object[] r = run(common);
    assertEquals(0, r[0], (String) r[1]);

    String[] gate = java.util.Arrays.copyOf(common, common.length + 1);
    gate[common.length] = "--failOnInvalid=true";
    r = run(gate);
    assertEquals(AuditPipeline.EXIT_INVALID, r[0], (String) r[1]);
    assertTrue(((String) r[1]).contains("1 invalid and 0 unreadable images"), (String) r[1]);
    try (DuckDbTables db = new DuckDbTables(dir.resolve("out"))) {
      assertEquals(2, db.rows("streams", "").size(), "the tables are written all the same");
    }

    Files.delete(images.resolve("broken.xl"));
    r = run(gate);
    assertEquals(0, r[0], (String) r[1]);
  }
}
