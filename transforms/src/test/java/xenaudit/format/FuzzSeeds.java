package xenaudit.format;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import xenaudit.sample.CpuidProfiles.Model;
import xenaudit.sample.GuestSpec;
import xenaudit.sample.HostPolicies;

/**
 * Writes the seed inputs of {@link FormatFuzzTest} (run by the build before the tests, into
 * {@code target/test-classes/xenaudit/format/<Class>Inputs/<method>/}, where Jazzer looks for
 * them): compact valid images of every container, guest type and stream version, Remus streams, each
 * also gzip- and zstd-compressed, and xen-cpuid policy dumps. Each seed starts with the target byte
 * and the chunk byte {@link FormatFuzzTest} reads.
 */
public final class FuzzSeeds {
  private FuzzSeeds() {}

  public static void main(String[] args) throws IOException {
    Path root = Path.of(args[0]);
    List<byte[]> seeds = new ArrayList<>();
    for (GuestSpec.Kind kind : GuestSpec.Kind.values()) {
      for (Container c : List.of(Container.XL, Container.LIBVIRT, Container.LIBXL, Container.LIBXC)) {
        for (int minor : new int[] {7, 20}) { // a v2 and a v3 stream
          GuestSpec spec = RuleImages.spec(kind).withContainer(c).withXen(4, minor);
          byte[] image = RuleImages.plan(spec).write().bytes();
          seeds.add(seed(FormatFuzzTest.IMAGE, 0, image));
          seeds.add(seed(FormatFuzzTest.IMAGE, 3, image));
          if (c == Container.XL) {
            seeds.add(seed(FormatFuzzTest.GZIP, 0, gzip(image)));
            seeds.add(seed(FormatFuzzTest.ZSTD, 0, com.github.luben.zstd.Zstd.compress(image)));
          }
        }
      }
      seeds.add(seed(FormatFuzzTest.IMAGE, 1, RuleImages.checkpointed(RuleImages.spec(kind), 1).write().bytes()));
    }
    for (boolean avx512 : new boolean[] {true, false}) {
      String dump = HostPolicies.dump(Model.INTEL_CASCADE_LAKE, avx512);
      seeds.add(seed(FormatFuzzTest.POLICY_TEXT, 0, dump.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }
    for (String seedDir : FormatFuzzTest.SEED_DIRS) {
      Path dir = Files.createDirectories(root.resolve(seedDir));
      for (int i = 0; i < seeds.size(); i++) {
        Files.write(dir.resolve(String.format("seed-%03d", i)), seeds.get(i));
      }
    }
  }

  private static byte[] seed(int target, int chunk, byte[] body) {
    byte[] s = new byte[body.length + 2];
    s[0] = (byte) target;
    s[1] = (byte) chunk;
    System.arraycopy(body, 0, s, 2, body.length);
    return s;
  }

  private static byte[] gzip(byte[] b) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream z = new GZIPOutputStream(out)) {
      z.write(b);
    }
    return out.toByteArray();
  }
}
