package xenaudit.format;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The libxl stream header (libxl_sr_stream_format.h, spec revision 2), 16 bytes, big-endian
 * whatever the options say.
 *
 * <pre>
 * off size field
 *   0    8 ident    0x4c6962786c466d74 "LibxlFmt"
 *   8    4 version  2
 *  12    4 options  bit 0 big-endian records, bit 1 legacy-converted, bits 2-31 reserved
 * </pre>
 */
record LibxlHeader(long ident, long version, long options) {
  static final long IDENT = 0x4c6962786c466d74L;
  static final int IDENT_OFFSET = 0;
  static final int VERSION_OFFSET = IDENT_OFFSET + 8;
  static final int OPTIONS_OFFSET = VERSION_OFFSET + 4;
  static final int SIZE = OPTIONS_OFFSET + 4;

  static final long VERSION = 2;
  static final long OPT_BIG_ENDIAN = 1L << 0;
  static final long OPT_LEGACY = 1L << 1;
  static final long OPT_RESERVED = 0xFFFFFFFFL & ~(OPT_BIG_ENDIAN | OPT_LEGACY);
  /** The reserved bits Xen's verifier checks; bits 16-31 slip past it. */
  static final long OPT_RESERVED_XEN_CHECKS = 0xFFFCL;

  static LibxlHeader decode(ByteBuffer b) {
    b.order(ByteOrder.BIG_ENDIAN);
    return new LibxlHeader(
        b.getLong(IDENT_OFFSET),
        Integer.toUnsignedLong(b.getInt(VERSION_OFFSET)),
        Integer.toUnsignedLong(b.getInt(OPTIONS_OFFSET)));
  }

  boolean legacy() {
    return (options & OPT_LEGACY) != 0;
  }
}
