package xenaudit.format;

/**
 * One {@code xen_cpuid_leaf_t} (xen/include/public/arch-x86/xen.h), 24 bytes little-endian.
 *
 * <pre>
 * off size field
 *   0    4 leaf
 *   4    4 subleaf   0xFFFFFFFF = XEN_CPUID_NO_SUBLEAF
 *   8    4 a
 *  12    4 b
 *  16    4 c
 *  20    4 d
 * </pre>
 *
 * Fields hold the raw 32-bit patterns; use the {@code u*} accessors for unsigned values.
 */
public record CpuidLeaf(int leaf, int subleaf, int eax, int ebx, int ecx, int edx) {
  public static final int SIZE = 24;
  public static final int NO_SUBLEAF = 0xFFFFFFFF;

  public long uLeaf() {
    return Integer.toUnsignedLong(leaf);
  }

  public long uSubleaf() {
    return Integer.toUnsignedLong(subleaf);
  }

  public long uEax() {
    return Integer.toUnsignedLong(eax);
  }

  public long uEbx() {
    return Integer.toUnsignedLong(ebx);
  }

  public long uEcx() {
    return Integer.toUnsignedLong(ecx);
  }

  public long uEdx() {
    return Integer.toUnsignedLong(edx);
  }
}
