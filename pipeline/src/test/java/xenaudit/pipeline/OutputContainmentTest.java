package xenaudit.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import xenaudit.sample.GuestImageWriter;
import xenaudit.sample.GuestSpec;

/**
 * Nothing read from an image or its name becomes a path outside the output: guest names like
 * {@code ../../evil}, pool keys that capture whole paths with their slashes and dots, markup in
 * names. Everything the run writes is under --output, and every file under it is one the layout
 * names (no data-made folders).
 */
class OutputContainmentTest {
  @TempDir Path dir;

  @Test
  void dataNeverBecomesAPathOutsideTheOutput() throws Exception {
    Path images = Files.createDirectories(dir.resolve("images").resolve("..hidden"));
    GuestImageWriter.write(GuestSpec.of("../../evil", "0b4e1f3a-aaaa-4bbb-8ccc-00000000e001").withMemory(2L << 20),
        images.resolve("a.xl"));
    GuestImageWriter.write(GuestSpec.of("<script>alert(1)</script>/x", "0b4e1f3a-aaaa-4bbb-8ccc-00000000e002")
        .withMemory(2L << 20), images.resolve("b.xl"));
    Path out = dir.resolve("work").resolve("out");
    Files.createDirectories(out.getParent());
    Set<String> before = tree(dir);
    Object[] r = CommandLineTest.run("--runner=DirectRunner", "--input=" + images + "/*", "--output=" + out,
        "--auditDate=2026-07-01", "--poolKey=(/.*/\\.\\.hidden/.*)");
    assertEquals(0, r[0], (String) r[1]);

    Set<String> added = tree(dir);
    added.removeAll(before);
    for (String p : added) {
      assertTrue(p.startsWith("work/out/"), "written outside the output: " + p);
      assertFalse(p.contains("evil") || p.contains("script"), "a name from the data became a path: " + p);
    }
    Set<String> folders = new TreeSet<>();
    for (String p : added) {
      String rest = p.substring("work/out/".length());
      if (rest.isEmpty()) {
        continue; // the output folder itself
      }
      folders.add(rest.contains("/") ? rest.substring(0, rest.indexOf('/')) : rest);
    }
    assertEquals(Set.of("streams", "cpuid_policy", "msr_policy", "findings", "cpuid_features", "guest_security",
        "pool_baseline", "baselines", "report"), folders);
    List<String> baselines = added.stream().filter(p -> p.startsWith("work/out/baselines/audit_date=2026-07-01/")
        && p.endsWith(".txt")).toList();
    assertEquals(2, baselines.size(), added::toString);
    for (String b : baselines) {
      String name = b.substring(b.lastIndexOf('/') + 1);
      assertTrue(name.startsWith("%2F") && !name.contains("/"), "the pool (a whole path) is one escaped file name: " + b);
    }
  }

  /** Every path under {@code root}, relative, files and folders. */
  private static Set<String> tree(Path root) throws Exception {
    Set<String> s = new TreeSet<>();
    try (Stream<Path> all = Files.walk(root)) {
      all.forEach(p -> s.add(root.relativize(p).toString() + (Files.isDirectory(p) ? "/" : "")));
    }
    return s;
  }
}
