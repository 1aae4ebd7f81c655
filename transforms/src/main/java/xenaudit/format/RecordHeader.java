package xenaudit.format;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The header every libxl and libxc record starts with, 8 bytes, stream order (little-endian).
 *
 * <pre>
 * off size field
 *   0    4 type    bit 31 set = optional record
 *   4    4 length  body bytes, padding excluded
 *   8      body[length], then 0-7 zero bytes to the next multiple of 8
 * </pre>
 */
record RecordHeader(long type, long length) {
  static final int TYPE_OFFSET = 0;
  static final int LENGTH_OFFSET = TYPE_OFFSET + 4;
  static final int SIZE = LENGTH_OFFSET + 4;
  static final int ALIGNMENT = 8;
  static final long OPTIONAL_BIT = 0x80000000L;
  /** REC_LENGTH_MAX of the C libxc reader and writer. */
  static final long LIBXC_MAX_LENGTH = 128L << 20;

  static RecordHeader decode(ByteBuffer b) {
    b.order(ByteOrder.LITTLE_ENDIAN);
    return new RecordHeader(
        Integer.toUnsignedLong(b.getInt(TYPE_OFFSET)), Integer.toUnsignedLong(b.getInt(LENGTH_OFFSET)));
  }

  boolean optional() {
    return (type & OPTIONAL_BIT) != 0;
  }

  int padding() {
    return (int) (-length & (ALIGNMENT - 1));
  }

  static String hexType(long type) {
    return String.format("0x%08X", type);
  }
}
