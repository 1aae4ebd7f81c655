package xenaudit.format;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The libxc domain header ({@code struct xc_sr_dhdr}), 16 bytes, stream order (little-endian).
 *
 * <pre>
 * off size field
 *   0    4 type        1 x86 PV, 2 x86 HVM (PVH too)
 *   4    2 page_shift  12
 *   6    2 reserved    0
 *   8    4 xen_major   0 = produced by convert-legacy-stream
 *  12    4 xen_minor
 * </pre>
 */
record DomainHeader(long type, int pageShift, int reserved, long xenMajor, long xenMinor) {
  static final int TYPE_OFFSET = 0;
  static final int PAGE_SHIFT_OFFSET = TYPE_OFFSET + 4;
  static final int RESERVED_OFFSET = PAGE_SHIFT_OFFSET + 2;
  static final int XEN_MAJOR_OFFSET = RESERVED_OFFSET + 2;
  static final int XEN_MINOR_OFFSET = XEN_MAJOR_OFFSET + 4;
  static final int SIZE = XEN_MINOR_OFFSET + 4;

  static final long TYPE_X86_PV = 1;
  static final long TYPE_X86_HVM = 2;
  static final int PAGE_SHIFT = 12;

  static DomainHeader decode(ByteBuffer b) {
    b.order(ByteOrder.LITTLE_ENDIAN);
    return new DomainHeader(
        Integer.toUnsignedLong(b.getInt(TYPE_OFFSET)),
        Short.toUnsignedInt(b.getShort(PAGE_SHIFT_OFFSET)),
        Short.toUnsignedInt(b.getShort(RESERVED_OFFSET)),
        Integer.toUnsignedLong(b.getInt(XEN_MAJOR_OFFSET)),
        Integer.toUnsignedLong(b.getInt(XEN_MINOR_OFFSET)));
  }
}
