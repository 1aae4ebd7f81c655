package xenaudit.format;

/**
 * One {@code xen_msr_entry_t} (xen/include/public/arch-x86/xen.h), 16 bytes little-endian. Xen's
 * Python verifier describes it as "QII", which has the right size and the wrong field order.
 *
 * <pre>
 * off size field
 *   0    4 idx    MSR index
 *   4    4 flags  reserved, must be zero
 *   8    8 val
 * </pre>
 */
public record MsrEntry(int index, int flags, long value) {
  public static final int SIZE = 16;
  public static final int PLATFORM_INFO = 0xCE;
  public static final int ARCH_CAPABILITIES = 0x10A;

  public long uIndex() {
    return Integer.toUnsignedLong(index);
  }

  public long uFlags() {
    return Integer.toUnsignedLong(flags);
  }

  public String valueHex() {
    return String.format("0x%016x", value);
  }
}
