package xenaudit.format;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The checks Xen's hypervisor makes when it loads a CPUID policy ({@code
 * x86_cpuid_copy_from_buffer}), plus the consistency checks Xen's verifier does not make.
 *
 * <p>Ranges are those of the newest Xen (basic leaves 0-0xD; leaf 4 subleaves below 6, leaf 7
 * below 3, leaf 0xB below 2, leaf 0xD below 63; hypervisor leaves 0x40000000 and 0x40000100;
 * extended leaves up to 0x80000021), so a policy any Xen can load passes.
 */
final class CpuidPolicyCheck {
  static final long MAX_BASIC_LEAF = 0xD;
  static final long EXTENDED_BASE = 0x80000000L;
  static final long MAX_EXTENDED_LEAF = 0x80000021L;
  static final long HYPERVISOR_LEAF = 0x40000000L;
  static final long HYPERVISOR_LEAF_2 = 0x40000100L;
  /** CPUID_MAX_SERIALISED_LEAVES of Xen 4.17 and later. */
  static final int MAX_LEAVES = 120;

  private static final List<String> VENDORS =
      List.of("GenuineIntel", "AuthenticAMD", "HygonGenuine", "CentaurHauls", "  Shanghai  ");

  private CpuidPolicyCheck() {}

  /** Number of subleaves Xen accepts for a basic leaf with subleaves, or 0 for "no subleaf". */
  static long subleafLimit(long leaf) {
    if (leaf == 4) {
      return 6;
    }
    if (leaf == 7) {
      return 3;
    }
    if (leaf == 0xB) {
      return 2;
    }
    if (leaf == 0xD) {
      return 63;
    }
    return 0;
  }

  /** Whether any Xen's deserialiser accepts this (leaf, subleaf). */
  static boolean inRange(CpuidLeaf l) {
    long leaf = l.uLeaf();
    if (leaf <= MAX_BASIC_LEAF) {
      long limit = subleafLimit(leaf);
      return limit == 0 ? l.subleaf() == CpuidLeaf.NO_SUBLEAF : l.uSubleaf() < limit;
    }
    if (leaf == HYPERVISOR_LEAF || leaf == HYPERVISOR_LEAF_2) {
      return l.subleaf() == CpuidLeaf.NO_SUBLEAF;
    }
    if (leaf >= EXTENDED_BASE && leaf <= MAX_EXTENDED_LEAF) {
      return l.subleaf() == CpuidLeaf.NO_SUBLEAF;
    }
    return false;
  }

  /** Reports every problem of one decoded policy record. */
  static void check(List<CpuidLeaf> leaves, long totalEntries, Located at) {
    if (totalEntries > MAX_LEAVES) {
      at.report(
          FindingCode.CPUID_TOO_MANY_LEAVES,
          "expected at most " + MAX_LEAVES + " leaves, found " + totalEntries);
    }
    CpuidLeaf prev = null;
    CpuidLeaf leaf0 = null;
    CpuidLeaf ext0 = null;
    long basicPresent = 0; // bit n: basic leaf n present
    long extPresent = 0; // bit n: leaf 0x80000000+n present
    Set<Long> seen = new HashSet<>();
    for (int i = 0; i < leaves.size(); i++) {
      CpuidLeaf l = leaves.get(i);
      if (!seen.add((l.uLeaf() << 32) | l.uSubleaf())) {
        at.report(
            FindingCode.CPUID_DUPLICATE_LEAF,
            "entry " + i + " repeats " + describe(l) + "; Xen keeps the later one");
      } else if (prev != null) {
        if (compare(prev, l) > 0) {
          at.report(
              FindingCode.CPUID_UNSORTED,
              "entry " + i + " " + describe(l) + " follows " + describe(prev));
        }
      }
      if (!inRange(l)) {
        at.report(
            FindingCode.CPUID_LEAF_OUT_OF_RANGE,
            "entry " + i + " " + describe(l) + " is outside the leaves Xen accepts (-ERANGE)");
      }
      long leaf = l.uLeaf();
      if (leaf == 0 && l.subleaf() == CpuidLeaf.NO_SUBLEAF) {
        leaf0 = l;
      } else if (leaf == EXTENDED_BASE && l.subleaf() == CpuidLeaf.NO_SUBLEAF) {
        ext0 = l;
      }
      if (leaf <= MAX_BASIC_LEAF) {
        basicPresent |= 1L << leaf;
      } else if (leaf >= EXTENDED_BASE && leaf <= MAX_EXTENDED_LEAF) {
        extPresent |= 1L << (leaf - EXTENDED_BASE);
      } else if ((leaf == HYPERVISOR_LEAF || leaf == HYPERVISOR_LEAF_2)
          && (l.uEax() > 0xFF || l.ebx() != 0 || l.ecx() != 0 || l.edx() != 0)) {
        at.report(
            FindingCode.CPUID_HYPERVISOR_LEAF,
            String.format(
                "leaf 0x%08x: expected eax <= 0xff and ebx=ecx=edx=0, found %08x %08x %08x %08x",
                leaf, l.eax(), l.ebx(), l.ecx(), l.edx()));
      }
      prev = l;
    }
    if (leaf0 != null) {
      String vendor = vendor(leaf0);
      if (!VENDORS.contains(vendor)) {
        at.report(
            FindingCode.CPUID_UNKNOWN_VENDOR,
            "leaf 0 vendor \"" + printable(vendor) + "\" is not a known x86 vendor");
      }
      checkMaxLeaf(at, "basic", 0, leaf0.uEax(), Math.min(leaf0.uEax(), MAX_BASIC_LEAF), basicPresent);
    }
    if (ext0 != null && ext0.uEax() >= EXTENDED_BASE) {
      long max = Math.min(ext0.uEax(), MAX_EXTENDED_LEAF);
      checkMaxLeaf(at, "extended", EXTENDED_BASE, ext0.uEax(), max, extPresent);
    }
  }

  /** Xen serialises every leaf from base to min(max, limit); nothing more, nothing less. */
  private static void checkMaxLeaf(
      Located at, String kind, long base, long declared, long max, long present) {
    int span = (int) (max - base) + 1;
    long expected = span >= 64 ? -1L : (1L << span) - 1;
    if (present != expected) {
      long missing = expected & ~present;
      long extra = present & ~expected;
      StringBuilder m =
          new StringBuilder(
              String.format("%s max leaf 0x%08x declares leaves 0x%08x-0x%08x", kind, declared, base, max));
      if (missing != 0) {
        m.append(String.format("; missing 0x%08x", base + Long.numberOfTrailingZeros(missing)));
      }
      if (extra != 0) {
        m.append(String.format("; present beyond it 0x%08x", base + Long.numberOfTrailingZeros(extra)));
      }
      at.report(FindingCode.CPUID_MAX_LEAF_MISMATCH, m.toString());
    }
  }

  static int compare(CpuidLeaf a, CpuidLeaf b) {
    int c = Long.compare(a.uLeaf(), b.uLeaf());
    return c != 0 ? c : Long.compare(a.uSubleaf(), b.uSubleaf());
  }

  static String describe(CpuidLeaf l) {
    return l.subleaf() == CpuidLeaf.NO_SUBLEAF
        ? String.format("leaf 0x%08x", l.uLeaf())
        : String.format("leaf 0x%08x subleaf %d", l.uLeaf(), l.uSubleaf());
  }

  /** Vendor string of leaf 0: ebx, edx, ecx. */
  static String vendor(CpuidLeaf l) {
    char[] c = new char[12];
    int[] regs = {l.ebx(), l.edx(), l.ecx()};
    for (int r = 0; r < 3; r++) {
      for (int i = 0; i < 4; i++) {
        c[r * 4 + i] = (char) ((regs[r] >>> (8 * i)) & 0xFF);
      }
    }
    return new String(c);
  }

  private static String printable(String s) {
    StringBuilder b = new StringBuilder();
    for (char ch : s.toCharArray()) {
      b.append(ch >= 0x20 && ch < 0x7F ? String.valueOf(ch) : String.format("\\x%02x", (int) ch));
    }
    return b.toString();
  }
}
