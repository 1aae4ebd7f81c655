package xenaudit.sample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import xenaudit.format.ImageReader;
import xenaudit.format.ImageReport;
import xenaudit.format.ImageStatus;

class SampleFleetCliTest {
  @TempDir Path dir;

  private static int run(String... args) {
    PrintStream out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    return SampleFleet.run(args, out, out);
  }

  @Test
  void parsesSizes() {
    assertEquals(64L << 20, SampleFleet.parseSize("64M"));
    assertEquals(8L << 30, SampleFleet.parseSize("8G"));
    assertEquals(64L << 30, SampleFleet.parseSize("64GiB"));
    assertEquals(512L << 20, SampleFleet.parseSize("512MiB"));
    assertEquals(3L << 29, SampleFleet.parseSize("1.5g"));
    assertEquals(1L << 40, SampleFleet.parseSize("1T"));
    assertEquals(4096, SampleFleet.parseSize("4096"));
    assertEquals(16L << 10, SampleFleet.parseSize("16KB"));
    assertThrows(IllegalArgumentException.class, () -> SampleFleet.parseSize("lots"));
    assertThrows(IllegalArgumentException.class, () -> SampleFleet.parseSize("1.0000001K"));
  }

  @Test
  void usageErrors() {
    assertEquals(2, run());
    assertEquals(2, run("--out"));
    assertEquals(2, run("--out", dir.toString(), "--memory", "1M"));
    assertEquals(2, run("--out", dir.toString(), "--memory", "3001K"));
    assertEquals(2, run("--out", dir.toString(), "--bogus"));
    assertEquals(0, run("--help"));
  }

  @Test
  void sameSeedSameFleetDifferentSeedDifferentFleet() throws IOException {
    Path a = dir.resolve("a");
    Path b = dir.resolve("b");
    Path c = dir.resolve("c");
    assertEquals(0, run("--out", a.toString(), "--guests", "8", "--memory", "2M", "--seed", "42", "--corrupt"));
    assertEquals(0, run("--out=" + b, "--guests=8", "--memory=2MiB", "--seed=42", "--corrupt"));
    assertEquals(0, run("--out", c.toString(), "--guests", "8", "--memory", "2M", "--seed", "43"));
    List<String> names;
    try (var s = Files.list(a)) {
      names = s.filter(Files::isRegularFile).map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
    }
    assertEquals(-1L, Files.mismatch(SampleFleet.manifest(a), SampleFleet.manifest(b)), "the manifests");
    assertTrue(names.size() > 8 + 100, names.size() + " files");
    for (String n : names) {
      assertEquals(-1L, Files.mismatch(a.resolve(n), b.resolve(n)), n);
    }
    assertNotEquals(Files.readString(SampleFleet.manifest(a)).lines().limit(8).collect(Collectors.toList()),
        Files.readString(SampleFleet.manifest(c)).lines().collect(Collectors.toList()));
  }

  /** A 64 GiB guest is a sparse file holding little more than its pfn arrays, and reads by seeking. */
  @Test
  void sixtyFourGibGuestIsSparseAndCheapToRead() throws Exception {
    assertEquals(0, run("--out", dir.toString(), "--guests", "1", "--memory", "64GiB", "--seed", "5"));
    JsonNode e = new ObjectMapper().readTree(Files.readAllLines(SampleFleet.manifest(dir)).get(0));
    Path f = dir.resolve(e.get("file").asText());
    long size = Files.size(f);
    assertEquals(e.get("size_bytes").asLong(), size);
    assertTrue(size > (64L << 30), "apparent size " + size);
    long pages = e.get("pages").asLong();
    long pfnArrays = (64L << 30) / 4096 * 8; // one u64 per pfn: 128 MiB
    assertTrue(pages > 16_000_000L, "pages " + pages);

    Long allocated = allocatedBytes(f);
    assumeTrue(allocated != null, "no du(1) here to measure allocated blocks");
    assertTrue(allocated < 2 * pfnArrays, "allocated " + allocated + " bytes, pfn arrays " + pfnArrays);
    assertTrue(allocated < size / 100, "allocated " + allocated + " of " + size);

    ImageReport r = ImageReader.read(f);
    assertEquals(ImageStatus.VALID, r.status(), r.findings().toString());
    assertEquals(pages, r.pages());
    assertTrue(r.bytesRead() < size / 100, "read " + r.bytesRead() + " of " + size);
  }

  /** Allocated bytes as du(1) counts them (1 KiB blocks), or null when du cannot be run. */
  static Long allocatedBytes(Path f) {
    for (String du : new String[] {"/usr/bin/du", "/bin/du"}) {
      if (!Files.isExecutable(Path.of(du))) {
        continue;
      }
      try {
        Process p = new ProcessBuilder(du, "-k", f.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (p.waitFor() == 0) {
          return Long.parseLong(out.split("\\s+")[0]) * 1024;
        }
      } catch (IOException | InterruptedException | NumberFormatException e) {
        return null;
      }
    }
    return null;
  }
}
