package xenaudit.format;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The libxc image header ({@code struct xc_sr_ihdr}, spec revision 3), 24 bytes, big-endian.
 *
 * <pre>
 * off size field
 *   0    8 marker     0xFFFFFFFFFFFFFFFF (legacy images have a zero bit here)
 *   8    4 id         0x58454E46 "XENF"
 *  12    4 version    2 (Xen 4.6-4.13) or 3 (4.14+)
 *  16    2 options    bit 0 big-endian, bits 1-15 reserved
 *  18    2 reserved   0
 *  20    4 reserved   0
 * </pre>
 */
record ImageHeader(long marker, long id, long version, int options, int reserved16, long reserved32) {
  static final long MARKER = 0xFFFFFFFFFFFFFFFFL;
  static final long ID = 0x58454E46L;
  static final int MARKER_OFFSET = 0;
  static final int ID_OFFSET = MARKER_OFFSET + 8;
  static final int VERSION_OFFSET = ID_OFFSET + 4;
  static final int OPTIONS_OFFSET = VERSION_OFFSET + 4;
  static final int RESERVED16_OFFSET = OPTIONS_OFFSET + 2;
  static final int RESERVED32_OFFSET = RESERVED16_OFFSET + 2;
  static final int SIZE = RESERVED32_OFFSET + 4;

  static final int OPT_BIG_ENDIAN = 1;
  static final int OPT_RESERVED = 0xFFFE;
  static final long MIN_VERSION = 2;
  static final long MAX_VERSION = 3;

  static ImageHeader decode(ByteBuffer b) {
    b.order(ByteOrder.BIG_ENDIAN);
    return new ImageHeader(
        b.getLong(MARKER_OFFSET),
        Integer.toUnsignedLong(b.getInt(ID_OFFSET)),
        Integer.toUnsignedLong(b.getInt(VERSION_OFFSET)),
        Short.toUnsignedInt(b.getShort(OPTIONS_OFFSET)),
        Short.toUnsignedInt(b.getShort(RESERVED16_OFFSET)),
        Integer.toUnsignedLong(b.getInt(RESERVED32_OFFSET)));
  }
}
