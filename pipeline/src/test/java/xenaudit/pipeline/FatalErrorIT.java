package xenaudit.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import xenaudit.sample.SampleFleet;

/**
 * An error that kills the job ends the command within seconds, non-zero, with one line on stderr
 * saying what happened and what to try: out of memory (a heap far too small for a fleet) kills the JVM at once (exit 137),
 * a job that fails (an output it cannot write) exits 1. Run through scripts/audit, as users do.
 */
class FatalErrorIT {
  @TempDir Path dir;

  @Test
  void outOfMemoryEndsTheProcessAtOnceWithOneLine() throws Exception {
    Path fleet = dir.resolve("fleet");
    SampleFleet.generate(SampleFleet.Options.defaults(fleet).withGuests(8).withSeed(2).withMemory(4L << 20));
    Object[] r = audit(List.of("XENAUDIT_JAVA_OPTS=-Xmx16m"), "--input=" + fleet + "/*", "--output=" + dir.resolve("out"));
    assertEquals(137, r[0], (String) r[1]);
    String err = ((String) r[1]).strip();
    assertEquals(1, err.lines().count(), err);
    assertTrue(err.startsWith("xenaudit: out of memory") && err.contains("XENAUDIT_JAVA_OPTS=-Xmx"), err);
  }

  @Test
  void aFailedJobEndsTheProcessWithOneLine() throws Exception {
    Path fleet = dir.resolve("fleet");
    SampleFleet.generate(SampleFleet.Options.defaults(fleet).withGuests(2).withSeed(2).withMemory(4L << 20));
    Object[] r = audit(List.of(), "--input=" + fleet + "/*", "--output=/proc/xenaudit-cannot-write-here");
    assertEquals(1, r[0], (String) r[1]);
    String err = ((String) r[1]).strip();
    assertEquals(1, err.lines().count(), err);
    assertTrue(err.startsWith("xenaudit: the audit failed: "), err);
  }

  /** scripts/audit with extra environment; {exit status, stderr}; it must end within 90 s. */
  private Object[] audit(List<String> env, String... args) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of("scripts/audit"));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(Path.of("..").toFile());
    for (String e : env) {
      pb.environment().put(e.substring(0, e.indexOf('=')), e.substring(e.indexOf('=') + 1));
    }
    Path err = dir.resolve("stderr.txt");
    Process p = pb.redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(err.toFile()).start();
    long start = System.nanoTime();
    boolean ended = p.waitFor(90, TimeUnit.SECONDS);
    if (!ended) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
    assertTrue(ended, "still running after 90 s: " + Files.readString(err, StandardCharsets.UTF_8));
    assertTrue(System.nanoTime() - start < 60_000_000_000L, "took over a minute");
    return new Object[] {p.exitValue(), Files.readString(err, StandardCharsets.UTF_8)};
  }
}
