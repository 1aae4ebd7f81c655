package xenaudit.policy;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import xenaudit.format.CpuFeature;
import xenaudit.format.CpuidLeaf;

/**
 * The policy every guest of a pool could migrate to: what Xen's toolstack does by hand when it
 * levels a pool, computed from the guests' own policies. A mergeable accumulator (Beam's Combine):
 * {@link #add} and {@link #merge} in any order give the same result, and it holds only primitive
 * arrays sized by the feature table and the leaves seen, never per-guest data.
 *
 * <table>
 *   <caption>How the baseline is formed over the pool's guests</caption>
 *   <tr><th>what</th><th>rule</th><th>why</th></tr>
 *   <tr><td>feature without {@code |}</td><td>AND of {@link CpuPolicy#present}, nulls ignored</td>
 *       <td>a guest may rely on it; offer only what all have</td></tr>
 *   <tr><td>feature with {@code |} (md_clear, fb_clear, ...)</td><td>OR, nulls ignored</td>
 *       <td>Xen's "accumulate across a pool": mitigation hints a guest needs if any host does</td></tr>
 *   <tr><td>leaf 0 eax, 7:0 eax, 0x80000000 eax</td><td>minimum; leaves past the new maxima
 *       dropped</td><td>{@link MigrationCheck} compares them as Xen does</td></tr>
 *   <tr><td>other register bits, other MSR bits</td><td>AND over the guests that carry the leaf
 *       or MSR</td><td>conservative for masks</td></tr>
 * </table>
 *
 * <p>The AND rule keeps the vendor string (leaf 0 and 0x80000000 ebx/ecx/edx) when every guest
 * agrees; a mixed-vendor pool gets the AND of the strings, a vendor no guest has, so every guest is
 * then blocked by {@link MigrationCheck}: such a pool has no common baseline. For fields that are
 * numbers rather than masks (signature, cache and xstate sizes, brand string) the AND is only a
 * placeholder; {@link MigrationCheck} does not compare them and Xen recomputes xstate sizes.
 */
public final class PoolBaseline implements Serializable {
  private static final long serialVersionUID = 1L;

  /** No guest carried the value. */
  private static final long UNSET = Long.MAX_VALUE;

  /**
   * @param present the pool's value (see the class table); null when no guest has one
   * @param guestsWithFeature guests whose {@link CpuPolicy#present} is true
   */
  public record FeatureBaseline(String feature, Boolean present, long guestsWithFeature) {}

  private long guests;
  /** Per table feature (index into {@link Features#all()}): guests with present() true / false. */
  private final long[] featureTrue = new long[Features.count()];
  private final long[] featureFalse = new long[Features.count()];
  private long minBasic = UNSET;
  private long minLeaf7 = UNSET;
  private long minExtended = UNSET;
  /** Leaf keys (leaf << 32 | subleaf), ascending unsigned; registers AND-ed, 4 per key. */
  private long[] leafKeys = new long[0];
  private int[] leafRegs = new int[0];
  /** MSR indices, ascending; values AND-ed. */
  private long[] msrKeys = new long[0];
  private long[] msrValues = new long[0];

  /** Adds one guest; a policy without CPUID leaves (no X86_CPUID_POLICY record) is ignored. */
  public void add(CpuPolicy guest) {
    if (!guest.hasCpuid()) {
      return;
    }
    guests++;
    List<CpuFeature> all = Features.all();
    for (int i = 0; i < all.size(); i++) {
      Boolean p = guest.present(all.get(i));
      if (p != null) {
        if (p) {
          featureTrue[i]++;
        } else {
          featureFalse[i]++;
        }
      }
    }
    Long basic = guest.maxBasicLeaf();
    if (basic != null) {
      minBasic = Math.min(minBasic, basic);
    }
    Long leaf7 = guest.pastMaxLeaf(7, 0) ? Long.valueOf(0) : guest.maxLeaf7Subleaf();
    if (leaf7 != null) {
      minLeaf7 = Math.min(minLeaf7, leaf7);
    }
    Long ext = guest.maxExtendedLeaf();
    if (ext != null) {
      minExtended = Math.min(minExtended, ext);
    }
    for (CpuidLeaf l : guest.leaves()) {
      andLeaf(CpuPolicy.key(l.uLeaf(), l.uSubleaf()), l.eax(), l.ebx(), l.ecx(), l.edx());
    }
    for (Map.Entry<Long, Long> e : guest.msrs().entrySet()) {
      andMsr(e.getKey(), e.getValue());
    }
  }

  /** Folds {@code other} into this one; returns this. */
  public PoolBaseline merge(PoolBaseline other) {
    guests += other.guests;
    for (int i = 0; i < featureTrue.length; i++) {
      featureTrue[i] += other.featureTrue[i];
      featureFalse[i] += other.featureFalse[i];
    }
    minBasic = Math.min(minBasic, other.minBasic);
    minLeaf7 = Math.min(minLeaf7, other.minLeaf7);
    minExtended = Math.min(minExtended, other.minExtended);
    for (int i = 0; i < other.leafKeys.length; i++) {
      int r = 4 * i;
      andLeaf(other.leafKeys[i], other.leafRegs[r], other.leafRegs[r + 1], other.leafRegs[r + 2],
          other.leafRegs[r + 3]);
    }
    for (int i = 0; i < other.msrKeys.length; i++) {
      andMsr(other.msrKeys[i], other.msrValues[i]);
    }
    return this;
  }

  /** Guests added (those with CPUID leaves). */
  public long guestCount() {
    return guests;
  }

  /** One entry per table feature, in table order. */
  public List<FeatureBaseline> features() {
    List<CpuFeature> all = Features.all();
    List<FeatureBaseline> out = new ArrayList<>(all.size());
    for (int i = 0; i < all.size(); i++) {
      out.add(new FeatureBaseline(Features.name(all.get(i)), value(i), featureTrue[i]));
    }
    return out;
  }

  private Boolean value(int i) {
    if (featureTrue[i] + featureFalse[i] == 0) {
      return null;
    }
    return Features.accumulates(Features.all().get(i)) ? featureTrue[i] > 0 : featureFalse[i] == 0;
  }

  /**
   * The baseline as a policy, to check guests against ({@link MigrationCheck}) or to write out
   * with {@link PolicyText#format}. Empty ({@link CpuPolicy#NONE}) when no guest was added.
   */
  public CpuPolicy policy() {
    if (guests == 0) {
      return CpuPolicy.NONE;
    }
    CpuPolicy.Builder b = CpuPolicy.builder();
    List<CpuFeature> all = Features.all();
    for (int i = 0; i < leafKeys.length; i++) {
      long leaf = leafKeys[i] >>> 32;
      long subleaf = leafKeys[i] & 0xFFFFFFFFL;
      if (dropped(leaf, subleaf)) {
        continue;
      }
      int[] r = Arrays.copyOfRange(leafRegs, 4 * i, 4 * i + 4);
      if (leaf == 0 && subleaf == CpuPolicy.NO_SUBLEAF && minBasic != UNSET) {
        r[0] = (int) minBasic;
      } else if (leaf == 7 && subleaf == 0 && minLeaf7 != UNSET) {
        r[0] = (int) minLeaf7;
      } else if (leaf == CpuPolicy.EXTENDED_BASE && subleaf == CpuPolicy.NO_SUBLEAF && minExtended != UNSET) {
        r[0] = (int) minExtended;
      }
      for (int f = 0; f < all.size(); f++) {
        CpuFeature c = all.get(f);
        if (!c.msr() && c.leafOrMsr() == leaf && Integer.toUnsignedLong(c.subleaf()) == subleaf) {
          int reg = CpuPolicy.registerIndex(c.register());
          r[reg] = Boolean.TRUE.equals(value(f)) ? r[reg] | 1 << c.bit() : r[reg] & ~(1 << c.bit());
        }
      }
      b.leaf(leaf, subleaf, r[0], r[1], r[2], r[3]);
    }
    for (int i = 0; i < msrKeys.length; i++) {
      long v = msrValues[i];
      for (int f = 0; f < all.size(); f++) {
        CpuFeature c = all.get(f);
        if (c.msr() && c.leafOrMsr() == msrKeys[i]) {
          v = Boolean.TRUE.equals(value(f)) ? v | 1L << c.msrBit() : v & ~(1L << c.msrBit());
        }
      }
      b.msr(msrKeys[i], v);
    }
    return b.build();
  }

  /** Past the pool's smallest max leaf (or max leaf-7 subleaf): Xen would read it as zeros. */
  private boolean dropped(long leaf, long subleaf) {
    if (leaf < CpuPolicy.HYPERVISOR_BASE) {
      return minBasic != UNSET && leaf > minBasic
          || leaf == 7 && subleaf != CpuPolicy.NO_SUBLEAF && minLeaf7 != UNSET && subleaf > minLeaf7;
    }
    return leaf >= CpuPolicy.EXTENDED_BASE && minExtended != UNSET && leaf > minExtended;
  }

  private void andLeaf(long key, int eax, int ebx, int ecx, int edx) {
    int i = find(leafKeys, key);
    if (i < 0) {
      i = -i - 1;
      leafKeys = insert(leafKeys, i, key);
      int[] regs = new int[leafRegs.length + 4];
      System.arraycopy(leafRegs, 0, regs, 0, 4 * i);
      System.arraycopy(leafRegs, 4 * i, regs, 4 * i + 4, leafRegs.length - 4 * i);
      Arrays.fill(regs, 4 * i, 4 * i + 4, -1);
      leafRegs = regs;
    }
    leafRegs[4 * i] &= eax;
    leafRegs[4 * i + 1] &= ebx;
    leafRegs[4 * i + 2] &= ecx;
    leafRegs[4 * i + 3] &= edx;
  }

  private void andMsr(long index, long value) {
    int i = find(msrKeys, index);
    if (i < 0) {
      i = -i - 1;
      msrKeys = insert(msrKeys, i, index);
      long[] values = new long[msrValues.length + 1];
      System.arraycopy(msrValues, 0, values, 0, i);
      System.arraycopy(msrValues, i, values, i + 1, msrValues.length - i);
      values[i] = -1L;
      msrValues = values;
    }
    msrValues[i] &= value;
  }

  /** Binary search in unsigned order: the index, or -(insertion point) - 1. */
  private static int find(long[] keys, long key) {
    int lo = 0;
    int hi = keys.length - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      int c = Long.compareUnsigned(keys[mid], key);
      if (c < 0) {
        lo = mid + 1;
      } else if (c > 0) {
        hi = mid - 1;
      } else {
        return mid;
      }
    }
    return -lo - 1;
  }

  private static long[] insert(long[] keys, int at, long key) {
    long[] out = new long[keys.length + 1];
    System.arraycopy(keys, 0, out, 0, at);
    out[at] = key;
    System.arraycopy(keys, at, out, at + 1, keys.length - at);
    return out;
  }

  /** Equal state: the same guests counted, the same values kept (what a coder round trip must keep). */
  @Override
  public boolean equals(Object o) {
    return o instanceof PoolBaseline b && guests == b.guests && minBasic == b.minBasic && minLeaf7 == b.minLeaf7
        && minExtended == b.minExtended && Arrays.equals(featureTrue, b.featureTrue)
        && Arrays.equals(featureFalse, b.featureFalse) && Arrays.equals(leafKeys, b.leafKeys)
        && Arrays.equals(leafRegs, b.leafRegs) && Arrays.equals(msrKeys, b.msrKeys)
        && Arrays.equals(msrValues, b.msrValues);
  }

  @Override
  public int hashCode() {
    return Long.hashCode(guests) * 31 + Arrays.hashCode(featureTrue);
  }
}
