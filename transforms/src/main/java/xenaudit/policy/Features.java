package xenaudit.policy;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.CRC32;
import xenaudit.format.CpuFeature;

/**
 * Xen's feature table ({@code cpufeatureset.tsv}) as the policy code names it: lower-case Xen
 * names ({@code md_clear}, {@code intel_ssb_no}), a stable index per feature, and the revision of
 * the table, which every decoded row carries.
 */
public final class Features {
  private static final List<CpuFeature> ALL = CpuFeature.all();
  private static final Map<String, Integer> INDEX = new HashMap<>();
  /** By identity: the table's own records, looked up hundreds of times per image. */
  private static final Map<CpuFeature, Integer> ORDINALS = new IdentityHashMap<>();

  static {
    for (int i = 0; i < ALL.size(); i++) {
      INDEX.put(name(ALL.get(i)), i);
      ORDINALS.put(ALL.get(i), i);
    }
  }

  /** CPUID 7:0 edx bit 29: MSR_ARCH_CAPABILITIES exists. */
  public static final CpuFeature ARCH_CAPS = byName("arch_caps");

  /**
   * Which table revision decoded a row: {@code cpufeatureset-<features>-<crc32 of the table>}, so
   * two runs decoded with different tables can be told apart.
   */
  public static final String DECODE_VERSION = "cpufeatureset-" + ALL.size() + "-" + tableCrc();

  private Features() {}

  /** Every feature, in table order (word, bit). */
  public static List<CpuFeature> all() {
    return ALL;
  }

  public static int count() {
    return ALL.size();
  }

  /** Xen's name in lower case: {@code md_clear}. */
  public static String name(CpuFeature f) {
    return f.name().toLowerCase(Locale.ROOT);
  }

  /** Position of one of {@link #all()}'s records in it, or -1 for any other record. */
  public static int index(CpuFeature f) {
    Integer i = ORDINALS.get(f);
    return i == null ? -1 : i;
  }

  /** Position of the feature in {@link #all()}, or -1 for a name the table lacks (any case). */
  public static int indexOf(String name) {
    Integer i = INDEX.get(name);
    if (i == null) {
      i = INDEX.get(name.toLowerCase(Locale.ROOT));
    }
    return i == null ? -1 : i;
  }

  /** The feature of that name (any case); IllegalArgumentException when the table lacks it. */
  public static CpuFeature byName(String name) {
    int i = indexOf(name);
    if (i < 0) {
      throw new IllegalArgumentException("no CPU feature " + name + " in cpufeatureset.tsv");
    }
    return ALL.get(i);
  }

  /** Attribute {@code |}: the feature is accumulated (OR-ed) across a pool instead of AND-ed. */
  public static boolean accumulates(CpuFeature f) {
    return f.attributes().indexOf('|') >= 0;
  }


  private static String tableCrc() {
    try (InputStream in = CpuFeature.class.getResourceAsStream("cpufeatureset.tsv")) {
      CRC32 crc = new CRC32();
      crc.update(in.readAllBytes());
      return String.format("%08x", crc.getValue());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
