package xenaudit.sample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import xenaudit.format.Container;
import xenaudit.format.Finding;
import xenaudit.format.ImageReader;
import xenaudit.format.ImageReport;
import xenaudit.sample.CpuidProfiles.Model;
import xenaudit.format.FindingCode;
import xenaudit.sample.CpuidProfiles.Variation;
import xenaudit.sample.GuestSpec.Kind;

/** Every container x guest kind x Xen version, over all CPU models and variations, reads back clean. */
class GuestImageWriterTest {
  @TempDir Path dir;

  static List<GuestSpec> matrix() {
    List<GuestSpec> out = new ArrayList<>();
    int i = 0;
    for (Container c : List.of(Container.XL, Container.LIBXL, Container.LIBXC, Container.LIBVIRT)) {
      for (Kind k : Kind.values()) {
        for (int minor : new int[] {6, 13, 14, 15, 16, 17, 18, 21}) {
          for (int rep = 0; rep < 2; rep++) {
            i++;
            Model m = Model.values()[(i + rep) % Model.values().length];
            EnumSet<Variation> v = EnumSet.noneOf(Variation.class);
            for (Variation x : Variation.values()) {
              if (((i * 7 + x.ordinal() * 3) % 5) == 0) {
                v.add(x);
              }
            }
            GuestSpec s = new GuestSpec("guest-" + i, String.format("6c9a3e2f-1b2d-4c5e-8f90-%012x", i), c, k, 4,
                minor, 2L << 20, 1 + i % 4, m, v, i % 3 == 0 ? 4 : 8, i % 2 == 0, i);
            out.add(s);
          }
        }
      }
    }
    return out;
  }

  @Test
  void everyCombinationIsValidWithoutFindings() throws IOException {
    List<String> problems = new ArrayList<>();
    int requests = 0;
    for (GuestSpec s : matrix()) {
      Path f = dir.resolve(s.name());
      WrittenImage w = GuestImageWriter.write(s, f);
      assertEquals(Files.size(f), w.size());
      ImageReport r = ImageReader.read(f);
      // The one finding a clean image may have: a cpuid= request its policy ignores, by design.
      List<FindingCode> expected = ManifestEntry.of(s.name(), s, w).expectedCodes();
      requests += expected.size();
      if (!r.findings().stream().map(Finding::code).toList().equals(expected)
          || r.pages() != GuestImageWriter.dataPages(s)
          || r.streamVersion() != s.streamVersion() || r.guestType() != s.guestType()
          || !s.xenVersion().equals(r.xenVersion())) {
        problems.add(s + "\n   pages " + r.pages() + " vs " + GuestImageWriter.dataPages(s) + "\n   "
            + r.findings().stream().map(Finding::toString).collect(Collectors.joining("\n   ")));
      }
    }
    assertTrue(problems.isEmpty(), problems.size() + " problems:\n" + String.join("\n", problems));
    assertTrue(requests > 0, "the matrix has an ignored request");
  }

  @Test
  void byteArraySinkMatchesFileSink() throws IOException {
    GuestSpec s = matrix().get(5);
    ByteArrayImageSink mem = new ByteArrayImageSink();
    GuestImageWriter.write(s, mem);
    Path f = dir.resolve("f");
    GuestImageWriter.write(s, f);
    assertTrue(java.util.Arrays.equals(mem.toByteArray(), Files.readAllBytes(f)));
  }
}
