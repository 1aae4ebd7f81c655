package xenaudit.format;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The checks Xen's hypervisor makes when it loads an MSR policy ({@code x86_msr_copy_from_buffer}):
 * only PLATFORM_INFO (0xCE, 32 bits, bit 31 = CPUID faulting) and ARCH_CAPABILITIES (0x10A) exist,
 * flags are zero; plus order, duplicates and unknown bits, which Xen does not check.
 */
final class MsrPolicyCheck {
  /** MSR_MAX_SERIALISED_ENTRIES of Xen 4.15 and later (4.14: 1). */
  static final int MAX_ENTRIES = 2;
  static final long PLATFORM_INFO_KNOWN_BITS = 1L << 31;
  static final long ARCH_CAPS_KNOWN_BITS = CpuFeature.knownMsrBits(MsrEntry.ARCH_CAPABILITIES);

  private MsrPolicyCheck() {}

  static void check(List<MsrEntry> entries, long totalEntries, Located at) {
    if (totalEntries > MAX_ENTRIES) {
      at.report(
          FindingCode.MSR_TOO_MANY,
          "expected at most " + MAX_ENTRIES + " entries, found " + totalEntries);
    }
    long prev = -1;
    Set<Integer> seen = new HashSet<>();
    for (int i = 0; i < entries.size(); i++) {
      MsrEntry e = entries.get(i);
      String which = String.format("entry %d (MSR 0x%x)", i, e.uIndex());
      if (!seen.add(e.index())) {
        at.report(FindingCode.MSR_DUPLICATE, which + " repeats an earlier index; Xen keeps the later one");
      } else if (e.uIndex() < prev) {
        at.report(FindingCode.MSR_UNSORTED, which + " follows MSR 0x" + Long.toHexString(prev));
      }
      prev = Math.max(prev, e.uIndex());
      if (e.flags() != 0) {
        at.report(
            FindingCode.MSR_FLAGS_NONZERO,
            which + ": expected flags 0, found 0x" + Long.toHexString(e.uFlags()));
      }
      if (e.index() == MsrEntry.PLATFORM_INFO) {
        if ((e.value() >>> 32) != 0) {
          at.report(
              FindingCode.MSR_VALUE_TOO_WIDE,
              which + ": expected a 32-bit value, found " + e.valueHex() + " (-EOVERFLOW)");
        }
        unknownBits(at, which, e.value(), PLATFORM_INFO_KNOWN_BITS);
      } else if (e.index() == MsrEntry.ARCH_CAPABILITIES) {
        unknownBits(at, which, e.value(), ARCH_CAPS_KNOWN_BITS);
      } else {
        at.report(
            FindingCode.MSR_UNKNOWN_INDEX,
            which + ": expected 0xce or 0x10a, Xen rejects any other index (-ERANGE)");
      }
    }
  }

  private static void unknownBits(Located at, String which, long value, long known) {
    long unknown = value & ~known;
    if (unknown != 0) {
      at.report(
          FindingCode.MSR_UNKNOWN_BITS,
          String.format("%s: bits 0x%016x have no known meaning", which, unknown));
    }
  }
}
