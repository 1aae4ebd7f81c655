package xenaudit.policy;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import xenaudit.format.CpuFeature;
import xenaudit.format.CpuidLeaf;
import xenaudit.format.ImageReport;
import xenaudit.format.MsrEntry;

/**
 * A CPUID and MSR policy as Xen holds it: what a stream's {@code X86_CPUID_POLICY} / {@code
 * X86_MSR_POLICY} records carry, what a {@code xen-cpuid -p} block lists, or a pool's baseline.
 *
 * <p>Feature decoding follows what Xen's {@code guest_cpuid()} hands the guest:
 *
 * <ul>
 *   <li>a CPUID leaf past the policy's max leaf reads as zeros: leaf 0 eax bounds the basic leaves,
 *       0x80000000 eax the extended ones, 7:0 eax the subleaves of leaf 7;
 *   <li>a leaf inside that range that the record does not carry is unknown ({@code null});
 *   <li>an MSR feature is known only when its MSR is in the policy (Xen before 4.15 did not
 *       serialise ARCH_CAPS).
 * </ul>
 *
 * Immutable. Duplicate leaves or MSRs: the later one wins, as in Xen's deserialiser.
 */
public final class CpuPolicy implements Serializable {
  private static final long serialVersionUID = 1L;

  public static final long NO_SUBLEAF = 0xFFFFFFFFL;
  public static final long EXTENDED_BASE = 0x80000000L;
  public static final long HYPERVISOR_BASE = 0x40000000L;
  public static final long PLATFORM_INFO = MsrEntry.PLATFORM_INFO;
  public static final long ARCH_CAPABILITIES = MsrEntry.ARCH_CAPABILITIES;

  /** A policy with neither CPUID leaves nor MSRs: every feature unknown. */
  public static final CpuPolicy NONE = new CpuPolicy(leafMap(), new TreeMap<>());

  /**
   * (leaf << 32 | subleaf) → {eax, ebx, ecx, edx}, in unsigned (leaf, subleaf) order: basic,
   * hypervisor, then extended leaves, which is Xen's serialisation order. A signed order would put
   * 0x80000000 (a negative key) first.
   */
  private final TreeMap<Long, int[]> leaves;
  /** MSR index → value. */
  private final TreeMap<Long, Long> msrs;

  private CpuPolicy(TreeMap<Long, int[]> leaves, TreeMap<Long, Long> msrs) {
    this.leaves = leaves;
    this.msrs = msrs;
  }

  public static CpuPolicy of(List<CpuidLeaf> cpuid, List<MsrEntry> msr) {
    TreeMap<Long, int[]> l = leafMap();
    for (CpuidLeaf c : cpuid) {
      l.put(key(c.uLeaf(), c.uSubleaf()), new int[] {c.eax(), c.ebx(), c.ecx(), c.edx()});
    }
    TreeMap<Long, Long> m = new TreeMap<>();
    for (MsrEntry e : msr) {
      m.put(e.uIndex(), e.value());
    }
    return new CpuPolicy(l, m);
  }

  /** The policy a stream carried (empty for v2, legacy and unreadable streams). */
  public static CpuPolicy of(ImageReport r) {
    return r.cpuid().isEmpty() && r.msr().isEmpty() ? NONE : of(r.cpuid(), r.msr());
  }

  /** Builds a policy leaf by leaf (a parsed policy file, a baseline). */
  public static Builder builder() {
    return new Builder();
  }

  public static final class Builder {
    private final TreeMap<Long, int[]> leaves = leafMap();
    private final TreeMap<Long, Long> msrs = new TreeMap<>();

    private Builder() {}

    /** @param regs eax, ebx, ecx, edx as raw 32-bit patterns */
    public Builder leaf(long leaf, long subleaf, int eax, int ebx, int ecx, int edx) {
      leaves.put(key(leaf, subleaf), new int[] {eax, ebx, ecx, edx});
      return this;
    }

    public Builder msr(long index, long value) {
      msrs.put(index, value);
      return this;
    }

    public CpuPolicy build() {
      TreeMap<Long, int[]> l = leafMap();
      l.putAll(leaves);
      return new CpuPolicy(l, new TreeMap<>(msrs));
    }
  }

  public boolean hasCpuid() {
    return !leaves.isEmpty();
  }

  public boolean hasMsrs() {
    return !msrs.isEmpty();
  }

  public boolean isEmpty() {
    return leaves.isEmpty() && msrs.isEmpty();
  }

  /** Every leaf in (leaf, subleaf) order, subleaf {@link #NO_SUBLEAF} for leaves without. */
  public List<CpuidLeaf> leaves() {
    List<CpuidLeaf> out = new ArrayList<>(leaves.size());
    for (Map.Entry<Long, int[]> e : leaves.entrySet()) {
      int[] r = e.getValue();
      out.add(new CpuidLeaf((int) (e.getKey() >>> 32), (int) (long) e.getKey(), r[0], r[1], r[2], r[3]));
    }
    return out;
  }

  /** MSR index → value, ascending. */
  public Map<Long, Long> msrs() {
    return Collections.unmodifiableMap(msrs);
  }

  /** The leaf's {eax, ebx, ecx, edx} (a copy), or null when the policy does not carry it. */
  public int[] leaf(long leaf, long subleaf) {
    int[] r = leaves.get(key(leaf, subleaf));
    return r == null ? null : r.clone();
  }

  /** One register (0 = eax .. 3 = edx) as an unsigned value, or null when the leaf is absent. */
  public Long register(long leaf, long subleaf, int register) {
    int[] r = leaves.get(key(leaf, subleaf));
    return r == null ? null : Integer.toUnsignedLong(r[register]);
  }

  public Long msr(long index) {
    return msrs.get(index);
  }

  /** Leaf 0 eax, or null when leaf 0 is absent. */
  public Long maxBasicLeaf() {
    return register(0, NO_SUBLEAF, 0);
  }

  /** Leaf 0x80000000 eax, or null when that leaf is absent. */
  public Long maxExtendedLeaf() {
    return register(EXTENDED_BASE, NO_SUBLEAF, 0);
  }

  /** Leaf 7 subleaf 0 eax (the highest leaf-7 subleaf), or null when absent. */
  public Long maxLeaf7Subleaf() {
    return register(7, 0, 0);
  }

  /**
   * Whether the leaf reads as zeros because it lies past the policy's max leaf (or max leaf-7
   * subleaf). False when the bound itself is unknown.
   */
  public boolean pastMaxLeaf(long leaf, long subleaf) {
    if (leaf < HYPERVISOR_BASE) {
      Long max = maxBasicLeaf();
      if (max != null && leaf > max) {
        return true;
      }
      if (leaf == 7 && subleaf != NO_SUBLEAF && subleaf > 0) {
        Long max7 = maxLeaf7Subleaf();
        return max7 != null && subleaf > max7;
      }
      return false;
    }
    if (leaf >= EXTENDED_BASE) {
      Long max = maxExtendedLeaf();
      return max != null && leaf > max;
    }
    return false;
  }

  /**
   * The feature as the policy states it: true/false when decidable, null when not (see the class
   * comment). A policy without CPUID leaves knows no CPUID feature; one without the feature's MSR
   * knows none of that MSR's.
   */
  public Boolean present(CpuFeature f) {
    int i = Features.index(f);
    if (i < 0) {
      return decode(f);
    }
    byte[] d = decoded;
    if (d == null) {
      d = decodeAll();
      decoded = d;
    }
    return d[i] == UNKNOWN ? null : d[i] == TRUE;
  }

  private static final byte UNKNOWN = 0;
  private static final byte FALSE = 1;
  private static final byte TRUE = 2;

  /**
   * Every feature of the table, decoded once per policy on first use: an audit asks for each of
   * them several times (feature rows, verdicts, migration, pools, drift).
   */
  private transient volatile byte[] decoded;

  private byte[] decodeAll() {
    List<CpuFeature> all = Features.all();
    byte[] d = new byte[all.size()];
    for (int i = 0; i < d.length; i++) {
      Boolean b = decode(all.get(i));
      d[i] = b == null ? UNKNOWN : b ? TRUE : FALSE;
    }
    return d;
  }

  private Boolean decode(CpuFeature f) {
    if (f.msr()) {
      Long v = msrs.get(f.leafOrMsr());
      return v == null ? null : (v >>> f.msrBit() & 1) != 0;
    }
    if (leaves.isEmpty()) {
      return null;
    }
    long leaf = f.leafOrMsr();
    long subleaf = Integer.toUnsignedLong(f.subleaf());
    if (pastMaxLeaf(leaf, subleaf)) {
      return false;
    }
    int[] r = leaves.get(key(leaf, subleaf));
    return r == null ? null : (r[registerIndex(f.register())] >>> f.bit() & 1) != 0;
  }

  /**
   * The feature as the guest's kernel sees it. Differs from {@link #present} for ARCH_CAPS bits
   * only: when the policy's CPUID says the MSR does not exist (7:0 edx bit 29 clear), the kernel
   * reads every ARCH_CAPS bit as 0, so they are false, not unknown, whether or not the policy
   * carries the MSR (Linux reads it only when the CPUID bit is set, and Xen's guest_rdmsr() raises
   * #GP for it otherwise).
   */
  public Boolean seen(CpuFeature f) {
    if (f.msr() && f.leafOrMsr() == ARCH_CAPABILITIES
        && Boolean.FALSE.equals(present(Features.ARCH_CAPS))) {
      return false;
    }
    return present(f);
  }

  /** CPU vendor from leaf 0's ebx-edx-ecx string, or null when leaf 0 is absent. */
  public Vendor vendor() {
    int[] r = leaves.get(key(0, NO_SUBLEAF));
    return r == null ? null : Vendor.of(r[1], r[3], r[2]);
  }

  /** CPUID.1.EAX (the signature: family, model, stepping), or null when leaf 1 is absent. */
  public Long signature() {
    return register(1, NO_SUBLEAF, 0);
  }

  /** Display family as Linux computes it: base family, plus the extended family when base is 0xF. */
  public Long family() {
    Long s = signature();
    if (s == null) {
      return null;
    }
    long base = s >>> 8 & 0xF;
    return base == 0xF ? base + (s >>> 20 & 0xFF) : base;
  }

  /** Display model as Linux computes it: the extended model is added for family 6 and above. */
  public Long model() {
    Long s = signature();
    if (s == null) {
      return null;
    }
    long model = s >>> 4 & 0xF;
    return family() >= 6 ? model | (s >>> 16 & 0xF) << 4 : model;
  }

  public Long stepping() {
    Long s = signature();
    return s == null ? null : s & 0xF;
  }

  /** "eax" → 0 ... "edx" → 3. */
  public static int registerIndex(String register) {
    return switch (register) {
      case "eax" -> 0;
      case "ebx" -> 1;
      case "ecx" -> 2;
      case "edx" -> 3;
      default -> throw new IllegalArgumentException("not a CPUID register: " + register);
    };
  }

  static long key(long leaf, long subleaf) {
    return leaf << 32 | (subleaf & 0xFFFFFFFFL);
  }

  private static TreeMap<Long, int[]> leafMap() {
    return new TreeMap<>(new UnsignedOrder());
  }

  /** Orders leaf keys as unsigned numbers; a named class so the map stays serialisable. */
  private static final class UnsignedOrder implements java.util.Comparator<Long>, Serializable {
    private static final long serialVersionUID = 1L;

    @Override
    public int compare(Long a, Long b) {
      return Long.compareUnsigned(a, b);
    }
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof CpuPolicy p) || !msrs.equals(p.msrs) || !leaves.keySet().equals(p.leaves.keySet())) {
      return false;
    }
    for (Map.Entry<Long, int[]> e : leaves.entrySet()) {
      if (!java.util.Arrays.equals(e.getValue(), p.leaves.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    return leaves.keySet().hashCode() * 31 + msrs.hashCode();
  }

  @Override
  public String toString() {
    return "CpuPolicy[" + leaves.size() + " leaves, " + msrs.size() + " MSRs]";
  }
}
