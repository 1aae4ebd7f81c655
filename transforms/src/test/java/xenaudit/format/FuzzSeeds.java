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
          // Corrupt ones: cut at a third and two thirds, a flipped byte in the first record headers.
          seeds.add(seed(FormatFuzzTest.IMAGE, 0, java.util.Arrays.copyOf(image, image.length / 3)));
          seeds.add(seed(FormatFuzzTest.IMAGE, 5, java.util.Arrays.copyOf(image, image.length * 2 / 3)));
          byte[] flipped = image.clone();
          flipped[Math.min(flipped.length - 1, 40 + minor)] ^= 0x5A;
          seeds.add(seed(FormatFuzzTest.IMAGE, 0, flipped));
          if (c == Container.XL) {
            seeds.add(seed(FormatFuzzTest.GZIP, 0, gzip(image)));
            seeds.add(seed(FormatFuzzTest.ZSTD, 0, com.github.luben.zstd.Zstd.compress(image)));
          }
        }
      }
      seeds.add(seed(FormatFuzzTest.IMAGE, 1, RuleImages.checkpointed(RuleImages.spec(kind), 1).write().bytes()));
      GuestSpec spec = RuleImages.spec(kind);
      seeds.add(seed(FormatFuzzTest.XL_JSON, 0, xenaudit.sample.GuestImageWriter.xlConfig(spec)));
      seeds.add(seed(FormatFuzzTest.LIBVIRT_XML, 0,
          xenaudit.sample.GuestImageWriter.libvirtXml(spec).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
      seeds.add(seed(7, 0, ("name = \"" + kind.label() + "\"\nbuilder = \"hvm\"\nvcpus = 2\n")
          .getBytes(java.nio.charset.StandardCharsets.UTF_8)));
      ImageReport r = RuleImages.plan(spec.withXen(4, 20)).write().read();
      seeds.add(seed(FormatFuzzTest.CPU_POLICY, 0, leaves(r)));
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

  /** A policy in the CPU_POLICY target's layout: a count byte, 24-byte leaves, then 16-byte MSRs. */
  private static byte[] leaves(ImageReport r) {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(1 + 24 * r.cpuid().size() + 16 * r.msr().size())
        .order(java.nio.ByteOrder.LITTLE_ENDIAN);
    b.put((byte) Math.min(63, r.cpuid().size()));
    for (CpuidLeaf l : r.cpuid().subList(0, Math.min(63, r.cpuid().size()))) {
      b.putInt(l.leaf()).putInt(l.subleaf()).putInt(l.eax()).putInt(l.ebx()).putInt(l.ecx()).putInt(l.edx());
    }
    for (MsrEntry m : r.msr()) {
      b.putInt(m.index()).putInt(m.flags()).putLong(m.value());
    }
    return java.util.Arrays.copyOf(b.array(), b.position());
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
