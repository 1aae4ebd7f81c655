package xenaudit.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static xenaudit.format.FindingCode.*;
import static xenaudit.format.RuleImages.*;
import static xenaudit.format.Severity.ERROR;
import static xenaudit.format.Severity.WARNING;
import static xenaudit.sample.StreamWriter.X86_CPUID_POLICY;
import static xenaudit.sample.StreamWriter.X86_MSR_POLICY;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import xenaudit.sample.Mark;

/**
 * The X86_CPUID_POLICY and X86_MSR_POLICY contents: what Xen's deserialisers accept (ranges,
 * counts, flags, the PLATFORM_INFO width) and the consistency checks on top (order, duplicates,
 * max leaves, vendor, hypervisor leaves, unknown bits), and the exact decode of both entry
 * layouts. Each policy replaces the realistic one of the small HVM guest's image.
 */
class PolicyRuleTest {
  static final int NO = CpuidLeaf.NO_SUBLEAF;
  static final long EXT = 0x80000000L;
  static final long HV = 0x40000000L;
  static final long HV2 = 0x40000100L;
  static final int PLATFORM_INFO = 0xCE;
  static final int ARCH_CAPS = 0x10A;
  static final long CPUID_FAULTING = 1L << 31;
  /** ARCH_CAPS RDCL_NO (bit 0), PB_OPT_CTRL (bit 32), ITS_NO (bit 62). */
  static final long ARCH_CAPS_KNOWN = 1L | 1L << 32 | 1L << 62;

  static CpuidLeaf leaf(long leaf, int subleaf, long a, long b, long c, long d) {
    return new CpuidLeaf((int) leaf, subleaf, (int) a, (int) b, (int) c, (int) d);
  }

  static CpuidLeaf leaf(long leaf, int subleaf) {
    return leaf(leaf, subleaf, 0x11 * (leaf & 0xF), 0, 0, 0);
  }

  /** Leaf 0: max basic leaf and the vendor string in ebx, edx, ecx. */
  static CpuidLeaf leaf0(long maxBasic, String vendor) {
    ByteBuffer v = ByteBuffer.wrap(ascii(vendor)).order(ByteOrder.LITTLE_ENDIAN);
    return leaf(0, NO, maxBasic, v.getInt(0) & 0xFFFFFFFFL, v.getInt(8) & 0xFFFFFFFFL, v.getInt(4) & 0xFFFFFFFFL);
  }

  /** Leaves 0..0xD as Xen serialises them for a small Intel guest, hypervisor leaves, extended leaves to {@code maxExt}. */
  static List<CpuidLeaf> policy(String vendor, long maxBasic, long maxExt, int cacheLevels, int xstates) {
    List<CpuidLeaf> p = new ArrayList<>();
    p.add(leaf0(maxBasic, vendor));
    for (long l = 1; l <= maxBasic; l++) {
      int subleaves = l == 4 ? cacheLevels : l == 7 ? 3 : l == 0xB ? 2 : l == 0xD ? xstates : 0;
      if (subleaves == 0) {
        p.add(leaf(l, NO));
      }
      for (int s = 0; s < subleaves; s++) {
        p.add(leaf(l, s));
      }
    }
    p.add(leaf(HV, NO, 0, 0, 0, 0));
    p.add(leaf(HV2, NO, 0, 0, 0, 0));
    p.add(leaf(EXT, NO, maxExt, 0, 0, 0));
    for (long l = EXT + 1; l <= maxExt; l++) {
      p.add(leaf(l, NO));
    }
    return p;
  }

  static List<CpuidLeaf> small() {
    return policy("GenuineIntel", 0xD, EXT + 8, 1, 2);
  }

  /** Every (leaf, subleaf) the newest Xen accepts: 120 leaves, CPUID_MAX_SERIALISED_LEAVES. */
  static List<CpuidLeaf> full() {
    return policy("AuthenticAMD", 0xD, EXT + 0x21, 6, 63);
  }

  /** {@code base} with {@code extra} inserted at its sorted place (after an equal one). */
  static List<CpuidLeaf> with(List<CpuidLeaf> base, CpuidLeaf extra) {
    List<CpuidLeaf> p = new ArrayList<>(base);
    int at = 0;
    while (at < p.size() && CpuidPolicyCheck.compare(p.get(at), extra) <= 0) {
      at++;
    }
    p.add(at, extra);
    return p;
  }

  static List<CpuidLeaf> without(List<CpuidLeaf> base, long leaf, int subleaf) {
    List<CpuidLeaf> p = new ArrayList<>(base);
    p.removeIf(l -> l.uLeaf() == leaf && l.subleaf() == subleaf);
    return p;
  }

  static List<CpuidLeaf> replaced(List<CpuidLeaf> base, CpuidLeaf l) {
    return with(without(base, l.uLeaf(), l.subleaf()), l);
  }

  static Image cpuid(List<CpuidLeaf> leaves) {
    return hvm().replaceLibxc(X86_CPUID_POLICY, w -> w.cpuidPolicy(leaves)).write();
  }

  static Image msr(MsrEntry... entries) {
    return hvm().replaceLibxc(X86_MSR_POLICY, w -> w.msrPolicy(List.of(entries))).write();
  }

  static Mark cpuidRecord(Image img) {
    return img.mark("libxc:X86_CPUID_POLICY");
  }

  static Mark msrRecord(Image img) {
    return img.mark("libxc:X86_MSR_POLICY");
  }

  // ------------------------------------------------------------------ CPUID

  @Test
  void validPolicies() {
    Image small = cpuid(small());
    check(small).clean();
    assertEquals(small(), small.read().cpuid());
    Image full = cpuid(full());
    assertEquals(120, full().size());
    check(full).clean();
    assertEquals(full(), full.read().cpuid());
    // The realistic policies of the writer.
    check(hvm().write()).clean();
  }

  @Test
  void cpuidDuplicateLeaf() {
    Image img = cpuid(with(small(), leaf(1, NO, 0x50657, 1, 2, 3)));
    check(img).has(ERROR, CPUID_DUPLICATE_LEAF, cpuidRecord(img)).lacks(CPUID_UNSORTED).invalid();
    Image sub = cpuid(with(small(), leaf(7, 1)));
    check(sub).has(ERROR, CPUID_DUPLICATE_LEAF, cpuidRecord(sub)).invalid();
    // The same leaf with other subleaves is no duplicate.
    check(cpuid(with(small(), leaf(4, 1)))).lacks(CPUID_DUPLICATE_LEAF).clean();
  }

  @Test
  void cpuidUnsorted() {
    List<CpuidLeaf> p = small();
    p.add(1, p.remove(2)); // leaf 2 before leaf 1
    Image img = cpuid(p);
    check(img).has(WARNING, CPUID_UNSORTED, cpuidRecord(img)).lacks(CPUID_DUPLICATE_LEAF).valid();
    List<CpuidLeaf> sub = small();
    int at = sub.indexOf(leaf(7, 2));
    sub.add(at - 1, sub.remove(at)); // subleaf 2 before subleaf 1
    Image subImg = cpuid(sub);
    check(subImg).has(WARNING, CPUID_UNSORTED, cpuidRecord(subImg)).valid();
    // Extended leaves after the hypervisor ones: 0x80000000 is above 0x40000100 unsigned.
    check(cpuid(small())).lacks(CPUID_UNSORTED).clean();
  }

  @Test
  void cpuidLeafOutOfRange() {
    CpuidLeaf[] rejected = {
        leaf(4, 6), leaf(7, 3), leaf(7, 4), leaf(0xB, 2), leaf(0xD, 63), // subleaf past the array
        leaf(1, 0), leaf(7, NO), // a subleaf where there is none, none where there are
        leaf(0xE, NO), leaf(0x20000000L, NO), leaf(0x40000001L, NO), leaf(HV, 0), // no such leaf
        leaf(EXT + 1, 0), leaf(EXT + 0x22, NO),
    };
    for (CpuidLeaf l : rejected) {
      Image img = cpuid(with(small(), l));
      check(img).has(ERROR, CPUID_LEAF_OUT_OF_RANGE, cpuidRecord(img)).invalid();
    }
    // The last of each range: leaf 4 subleaf 5, leaf 7 subleaf 2, 0xB subleaf 1, 0xD subleaf 62,
    // leaf 0xD, 0x80000021.
    for (CpuidLeaf l : new CpuidLeaf[] {leaf(4, 5), leaf(7, 2), leaf(0xB, 1), leaf(0xD, 62), leaf(0xD, 0)}) {
      check(cpuid(replaced(small(), l))).lacks(CPUID_LEAF_OUT_OF_RANGE).clean();
    }
    check(cpuid(full())).lacks(CPUID_LEAF_OUT_OF_RANGE).clean();
  }

  @Test
  void cpuidTooManyLeaves() {
    // 121 entries: one more than Xen serialises; any 121st is a duplicate or out of range.
    Image dup = cpuid(with(full(), leaf(1, NO)));
    check(dup).has(ERROR, CPUID_TOO_MANY_LEAVES, cpuidRecord(dup)).has(ERROR, CPUID_DUPLICATE_LEAF, cpuidRecord(dup))
        .invalid();
    Image range = cpuid(with(full(), leaf(0xE, NO)));
    check(range).has(ERROR, CPUID_TOO_MANY_LEAVES, cpuidRecord(range))
        .has(ERROR, CPUID_LEAF_OUT_OF_RANGE, cpuidRecord(range)).invalid();
    assertEquals(121, range.read().cpuid().size());

    check(cpuid(full())).lacks(CPUID_TOO_MANY_LEAVES).clean();
  }

  @Test
  void cpuidHypervisorLeaf() {
    for (CpuidLeaf l : new CpuidLeaf[] {leaf(HV, NO, 0x100, 0, 0, 0), leaf(HV2, NO, 0x40000105L, 0, 0, 0),
        leaf(HV, NO, 5, 1, 0, 0), leaf(HV2, NO, 0, 0, 0, 0x80)}) {
      Image img = cpuid(replaced(small(), l));
      check(img).has(WARNING, CPUID_HYPERVISOR_LEAF, cpuidRecord(img)).valid();
    }
    check(cpuid(replaced(small(), leaf(HV, NO, 0xFF, 0, 0, 0)))).lacks(CPUID_HYPERVISOR_LEAF).clean();
  }

  @Test
  void cpuidMaxLeafMismatch() {
    // Leaf 0 declares 0xC, leaf 0xD is present.
    Image beyond = cpuid(replaced(small(), leaf0(0xC, "GenuineIntel")));
    check(beyond).has(WARNING, CPUID_MAX_LEAF_MISMATCH, cpuidRecord(beyond)).valid();
    // Leaf 0 declares 0xD, leaf 0xA is missing.
    Image gap = cpuid(without(small(), 0xA, NO));
    check(gap).has(WARNING, CPUID_MAX_LEAF_MISMATCH, cpuidRecord(gap)).valid();
    // 0x80000000 declares 0x80000007, 0x80000008 is present; and declares 8 with 7 missing.
    Image ext = cpuid(replaced(small(), leaf(EXT, NO, EXT + 7, 0, 0, 0)));
    check(ext).has(WARNING, CPUID_MAX_LEAF_MISMATCH, cpuidRecord(ext)).valid();
    Image extGap = cpuid(without(small(), EXT + 7, NO));
    check(extGap).has(WARNING, CPUID_MAX_LEAF_MISMATCH, cpuidRecord(extGap)).valid();

    check(cpuid(small())).lacks(CPUID_MAX_LEAF_MISMATCH).clean();
    // A max above what Xen serialises (0xD) is clamped, as Xen does.
    check(cpuid(replaced(small(), leaf0(0x1F, "GenuineIntel")))).lacks(CPUID_MAX_LEAF_MISMATCH).clean();
    check(cpuid(policy("GenuineIntel", 7, EXT + 4, 1, 2))).lacks(CPUID_MAX_LEAF_MISMATCH).clean();
  }

  @Test
  void cpuidUnknownVendor() {
    for (String v : new String[] {"GenuineIntex", "VirtualBoxVM", "\0\0\0\0\0\0\0\0\0\0\0\0"}) {
      Image img = cpuid(replaced(small(), leaf0(0xD, v)));
      check(img).has(WARNING, CPUID_UNKNOWN_VENDOR, cpuidRecord(img)).valid();
    }
    for (String v : new String[] {"GenuineIntel", "AuthenticAMD", "HygonGenuine", "CentaurHauls", "  Shanghai  "}) {
      check(cpuid(replaced(small(), leaf0(0xD, v)))).lacks(CPUID_UNKNOWN_VENDOR).clean();
    }
  }

  /** xen_cpuid_leaf_t is leaf, subleaf, a, b, c, d: six little-endian u32s. */
  @Test
  void cpuidDecode() {
    byte[] body = concat(le(0, NO & 0xFFFFFFFFL, 0xD, 0x756E6547, 0x6C65746E, 0x49656E69),
        le(7, 0, 2, 0x11223344, 0x55667788, 0x99AABBCCL));
    List<CpuidLeaf> expected = List.of(
        leaf(0, NO, 0xD, 0x756E6547, 0x6C65746E, 0x49656E69),
        leaf(7, 0, 2, 0x11223344, 0x55667788, 0x99AABBCCL));
    Image img = hvm().replaceLibxc(X86_CPUID_POLICY, w -> w.libxcRecord(X86_CPUID_POLICY, body)).write();
    assertEquals(expected, img.read().cpuid());
    assertEquals("GenuineIntel", CpuidPolicyCheck.vendor(img.read().cpuid().get(0)));
  }

  // ------------------------------------------------------------------ MSR

  static MsrEntry entry(int index, int flags, long value) {
    return new MsrEntry(index, flags, value);
  }

  @Test
  void validMsrPolicies() {
    MsrEntry[] both = {entry(PLATFORM_INFO, 0, CPUID_FAULTING), entry(ARCH_CAPS, 0, ARCH_CAPS_KNOWN)};
    Image img = msr(both);
    check(img).clean();
    assertEquals(List.of(both), img.read().msr());
    // Xen 4.14 sends PLATFORM_INFO only.
    check(msr(entry(PLATFORM_INFO, 0, 0))).clean();
  }

  @Test
  void msrFlagsNonzero() {
    for (int flags : new int[] {1, 0x80000000}) {
      Image img = msr(entry(PLATFORM_INFO, flags, 0), entry(ARCH_CAPS, 0, 1));
      check(img).has(ERROR, MSR_FLAGS_NONZERO, msrRecord(img)).invalid();
    }
    check(msr(entry(PLATFORM_INFO, 0, 0), entry(ARCH_CAPS, 0, 1))).lacks(MSR_FLAGS_NONZERO).clean();
  }

  @Test
  void msrUnknownIndex() {
    for (int index : new int[] {0x10B, 0x140, 0xC0000103}) {
      Image img = msr(entry(PLATFORM_INFO, 0, 0), entry(index, 0, 0));
      check(img).has(ERROR, MSR_UNKNOWN_INDEX, msrRecord(img)).lacks(MSR_UNSORTED).invalid();
    }
    check(msr(entry(PLATFORM_INFO, 0, 0), entry(ARCH_CAPS, 0, 0))).lacks(MSR_UNKNOWN_INDEX).clean();
  }

  @Test
  void msrDuplicate() {
    Image img = msr(entry(PLATFORM_INFO, 0, 0), entry(PLATFORM_INFO, 0, CPUID_FAULTING));
    check(img).has(ERROR, MSR_DUPLICATE, msrRecord(img)).lacks(MSR_UNSORTED, MSR_TOO_MANY).invalid();
    check(msr(entry(PLATFORM_INFO, 0, 0), entry(ARCH_CAPS, 0, 0))).lacks(MSR_DUPLICATE).clean();
  }

  @Test
  void msrUnsorted() {
    Image img = msr(entry(ARCH_CAPS, 0, 1), entry(PLATFORM_INFO, 0, 0));
    check(img).has(WARNING, MSR_UNSORTED, msrRecord(img)).lacks(MSR_DUPLICATE).valid();
    check(msr(entry(PLATFORM_INFO, 0, 0), entry(ARCH_CAPS, 0, 1))).lacks(MSR_UNSORTED).clean();
  }

  @Test
  void msrTooMany() {
    // A third entry is a duplicate or an unknown index as well.
    Image img = msr(entry(PLATFORM_INFO, 0, 0), entry(ARCH_CAPS, 0, 1), entry(0x10B, 0, 0));
    check(img).has(ERROR, MSR_TOO_MANY, msrRecord(img)).has(ERROR, MSR_UNKNOWN_INDEX, msrRecord(img)).invalid();
    Image dup = msr(entry(PLATFORM_INFO, 0, 0), entry(ARCH_CAPS, 0, 1), entry(ARCH_CAPS, 0, 1));
    check(dup).has(ERROR, MSR_TOO_MANY, msrRecord(dup)).has(ERROR, MSR_DUPLICATE, msrRecord(dup)).invalid();

    check(msr(entry(PLATFORM_INFO, 0, 0), entry(ARCH_CAPS, 0, 1))).lacks(MSR_TOO_MANY).clean();
  }

  @Test
  void msrValueTooWide() {
    Image img = msr(entry(PLATFORM_INFO, 0, 1L << 32), entry(ARCH_CAPS, 0, 1));
    check(img).has(ERROR, MSR_VALUE_TOO_WIDE, msrRecord(img)).has(WARNING, MSR_UNKNOWN_BITS, msrRecord(img))
        .invalid();
    // 32 bits fit (the unknown ones are only a warning); ARCH_CAPS is 64 bits wide.
    check(msr(entry(PLATFORM_INFO, 0, 0xFFFFFFFFL), entry(ARCH_CAPS, 0, 1L << 62))).lacks(MSR_VALUE_TOO_WIDE).valid();
  }

  @Test
  void msrUnknownBits() {
    long[][] unknown = {{PLATFORM_INFO, 1}, {PLATFORM_INFO, 1L << 30}, {ARCH_CAPS, 1L << 22}, {ARCH_CAPS, 1L << 31},
        {ARCH_CAPS, 1L << 33}, {ARCH_CAPS, 1L << 61}, {ARCH_CAPS, 1L << 63}};
    for (long[] u : unknown) {
      MsrEntry[] p = u[0] == PLATFORM_INFO
          ? new MsrEntry[] {entry(PLATFORM_INFO, 0, u[1]), entry(ARCH_CAPS, 0, 1)}
          : new MsrEntry[] {entry(PLATFORM_INFO, 0, 0), entry(ARCH_CAPS, 0, u[1])};
      Image img = msr(p);
      check(img).has(WARNING, MSR_UNKNOWN_BITS, msrRecord(img)).valid();
    }
    // CPUID faulting; RDCL_NO (bit 0), MON_UMON_MITG (30), PB_OPT_CTRL (32), ITS_NO (62).
    check(msr(entry(PLATFORM_INFO, 0, CPUID_FAULTING), entry(ARCH_CAPS, 0, 1L | 1L << 30 | 1L << 32 | 1L << 62)))
        .lacks(MSR_UNKNOWN_BITS).clean();
    check(msr(entry(PLATFORM_INFO, 0, 0), entry(ARCH_CAPS, 0, 1L << 62))).lacks(MSR_UNKNOWN_BITS).clean();
  }

  /**
   * xen_msr_entry_t is u32 idx, u32 flags, u64 val ("IIQ"). Xen's verifier describes it as "QII",
   * which would read this entry as val 0x10A, idx 0, flags 0x40000000.
   */
  @Test
  void msrDecodeIsIdxFlagsValue() {
    byte[] body = concat(le(ARCH_CAPS, 0), le64(0x4000000000000000L));
    Image img = hvm().replaceLibxc(X86_MSR_POLICY, w -> w.libxcRecord(X86_MSR_POLICY, body)).write();
    ImageReport r = img.read();
    assertEquals(List.of(entry(ARCH_CAPS, 0, 0x4000000000000000L)), r.msr());
    MsrEntry e = r.msr().get(0);
    assertEquals(0x10A, e.index());
    assertEquals(0, e.flags());
    assertEquals(0x4000000000000000L, e.value());
    assertNotEquals(0x10AL, e.value(), "decoded as QII");
    // Read as IIQ the entry is a known MSR with a known bit (ITS_NO): nothing to report.
    check(img, r).lacks(MSR_UNKNOWN_INDEX, MSR_FLAGS_NONZERO, MSR_UNKNOWN_BITS, MSR_VALUE_TOO_WIDE).clean();

    // Two entries, in the order Xen writes them.
    byte[] two = concat(le(PLATFORM_INFO, 0), le64(CPUID_FAULTING), le(ARCH_CAPS, 0), le64(1L << 62 | 1));
    Image both = hvm().replaceLibxc(X86_MSR_POLICY, w -> w.libxcRecord(X86_MSR_POLICY, two)).write();
    assertEquals(List.of(entry(PLATFORM_INFO, 0, CPUID_FAULTING), entry(ARCH_CAPS, 0, 1L << 62 | 1)),
        both.read().msr());
    check(both).clean();
  }
}
