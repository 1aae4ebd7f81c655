package xenaudit.format;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The header of a libvirt libxl-driver save image (libvirt's libxl_domain.c), 64 bytes,
 * little-endian.
 *
 * <pre>
 * off size field
 *   0   16 magic    "libvirt-xml\n \0 \r"
 *  16    4 version  1 = legacy libxc stream follows, 2 = v2 libxl stream follows
 *  20    4 xmlLen   bytes of domain XML after the header
 *  24   40 unused   zero
 * </pre>
 */
record LibvirtHeader(long version, long xmlLength, boolean unusedZero) {
  static final byte[] MAGIC = "libvirt-xml\n \0 \r".getBytes(StandardCharsets.ISO_8859_1);
  static final int VERSION_OFFSET = MAGIC.length;
  static final int XML_LEN_OFFSET = VERSION_OFFSET + 4;
  static final int UNUSED_OFFSET = XML_LEN_OFFSET + 4;
  static final int UNUSED_LENGTH = 40;
  static final int SIZE = UNUSED_OFFSET + UNUSED_LENGTH;

  static final long VERSION_LEGACY = 1;
  static final long VERSION_V2 = 2;

  static LibvirtHeader decode(ByteBuffer b) {
    b.order(ByteOrder.LITTLE_ENDIAN);
    boolean zero = true;
    for (int i = UNUSED_OFFSET; i < SIZE; i++) {
      zero &= b.get(i) == 0;
    }
    return new LibvirtHeader(
        Integer.toUnsignedLong(b.getInt(VERSION_OFFSET)),
        Integer.toUnsignedLong(b.getInt(XML_LEN_OFFSET)),
        zero);
  }
}
