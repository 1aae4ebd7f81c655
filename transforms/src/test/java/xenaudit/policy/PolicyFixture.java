package xenaudit.policy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import xenaudit.format.CpuFeature;

/**
 * A small guest policy for rule tests: leaf 0 (vendor), leaf 1 (signature), 7:0-7:2 and the
 * extended leaves up to 0x80000021, with exactly the named features set, plus the ARCH_CAPS MSR.
 * Intel policies get the ARCH_CAPS CPUID bit so their MSR bits are visible.
 */
final class PolicyFixture {
  private static final long NO = CpuPolicy.NO_SUBLEAF;

  private final boolean intel;
  private boolean hygon;
  private final int signature;
  private final Set<String> features = new LinkedHashSet<>();
  private final List<long[]> dropped = new ArrayList<>();
  private boolean archCapsMsr = true;
  private Integer coreType;

  private PolicyFixture(boolean intel, int signature, String... features) {
    this.intel = intel;
    this.signature = signature;
    this.features.addAll(Arrays.asList(features));
    if (intel) {
      this.features.add("arch_caps");
    }
  }

  static PolicyFixture intel(int signature, String... features) {
    return new PolicyFixture(true, signature, features);
  }

  static PolicyFixture amd(int signature, String... features) {
    return new PolicyFixture(false, signature, features);
  }

  /** HygonGenuine instead of AuthenticAMD. */
  PolicyFixture hygon() {
    hygon = true;
    return this;
  }

  PolicyFixture without(String... names) {
    features.removeAll(Arrays.asList(names));
    return this;
  }

  /** As Xen 4.14 saved it: no ARCH_CAPS MSR in the stream. */
  PolicyFixture noArchCapsMsr() {
    archCapsMsr = false;
    return this;
  }

  /** A hybrid part's core type in CPUID 0x1A eax[31:24] (0x20 Atom, 0x40 Core); raises the max leaf. */
  PolicyFixture coreType(int type) {
    coreType = type;
    return this;
  }

  /** Leaves a leaf out of the record (inside the max leaf, so its features become unknown). */
  PolicyFixture dropLeaf(long leaf, long subleaf) {
    dropped.add(new long[] {leaf, subleaf});
    return this;
  }

  CpuPolicy build() {
    TreeMap<Long, int[]> regs = new TreeMap<>();
    if (hygon) {
      // "HygonGenuine": ebx "Hygo", ecx "uine", edx "nGen".
      put(regs, 0, NO, 0xD, 0x6f677948, 0x656e6975, 0x6e65476e);
    } else {
      put(regs, 0, NO, coreType == null ? 0xD : 0x1A, intel ? 0x756e6547 : 0x68747541,
          intel ? 0x6c65746e : 0x444d4163, intel ? 0x49656e69 : 0x69746e65);
    }
    put(regs, 1, NO, signature, 0, 0, 0);
    put(regs, 7, 0, 2, 0, 0, 0);
    put(regs, 7, 1, 0, 0, 0, 0);
    put(regs, 7, 2, 0, 0, 0, 0);
    put(regs, 0x80000000L, NO, 0x80000021, 0, 0, 0);
    put(regs, 0x80000001L, NO, intel ? 0 : signature, 0, 0, 0);
    put(regs, 0x80000008L, NO, 0x3030, 0, 0, 0);
    put(regs, 0x80000021L, NO, 0, 0, 0, 0);
    if (coreType != null) {
      put(regs, 0x1A, NO, coreType << 24, 0, 0, 0);
    }
    long msr = 0;
    for (String name : features) {
      CpuFeature f = Features.byName(name);
      if (f.msr()) {
        msr |= 1L << f.msrBit();
      } else {
        long k = CpuPolicy.key(f.leafOrMsr(), Integer.toUnsignedLong(f.subleaf()));
        regs.computeIfAbsent(k, x -> new int[4])[CpuPolicy.registerIndex(f.register())] |= 1 << f.bit();
      }
    }
    for (long[] d : dropped) {
      regs.remove(CpuPolicy.key(d[0], d[1]));
    }
    CpuPolicy.Builder b = CpuPolicy.builder().msr(CpuPolicy.PLATFORM_INFO, 0);
    regs.forEach((k, r) -> b.leaf(k >>> 32, k & 0xFFFFFFFFL, r[0], r[1], r[2], r[3]));
    if (archCapsMsr) {
      b.msr(CpuPolicy.ARCH_CAPABILITIES, msr);
    }
    return b.build();
  }

  private static void put(TreeMap<Long, int[]> regs, long leaf, long subleaf, int a, int b, int c, int d) {
    regs.put(CpuPolicy.key(leaf, subleaf), new int[] {a, b, c, d});
  }
}
