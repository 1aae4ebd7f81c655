package xenaudit.format;

import java.util.ArrayList;
import java.util.List;

/**
 * One Xen CPU feature ({@code XEN_CPUFEATURE} in xen/include/public/arch-x86/cpufeatureset.h) and
 * where its bit lives in a CPUID or MSR policy. The table ships as {@code cpufeatureset.tsv}.
 *
 * @param leafOrMsr CPUID leaf, or MSR index when {@code msr} is true
 * @param subleaf CPUID subleaf, {@link CpuidLeaf#NO_SUBLEAF} for leaves without subleaves
 * @param register {@code eax|ebx|ecx|edx}, or {@code bits31:0|bits63:32} for an MSR
 * @param attributes Xen's attribute characters; {@code |} = accumulate across a pool
 */
public record CpuFeature(
    String name,
    int word,
    int bit,
    boolean msr,
    long leafOrMsr,
    int subleaf,
    String register,
    String attributes) {

  private static final List<CpuFeature> ALL = load();

  public static List<CpuFeature> all() {
    return ALL;
  }

  /** Bit position within the 64-bit MSR value (MSR features only). */
  public int msrBit() {
    return register.equals("bits63:32") ? 32 + bit : bit;
  }

  /** Mask of the bits of MSR {@code index} that name a known feature. */
  static long knownMsrBits(long index) {
    long mask = 0;
    for (CpuFeature f : ALL) {
      if (f.msr && f.leafOrMsr == index) {
        mask |= 1L << f.msrBit();
      }
    }
    return mask;
  }

  private static List<CpuFeature> load() {
    List<CpuFeature> out = new ArrayList<>();
    for (String[] c : TsvResource.rows(CpuFeature.class, "cpufeatureset.tsv")) {
      out.add(
          new CpuFeature(
              c[0],
              Integer.parseInt(c[1]),
              Integer.parseInt(c[2]),
              c[4].equals("msr"),
              Long.decode(c[5]),
              c[6].equals("-") ? CpuidLeaf.NO_SUBLEAF : Integer.parseInt(c[6]),
              c[7],
              c.length > 8 ? c[8] : ""));
    }
    return List.copyOf(out);
  }
}
