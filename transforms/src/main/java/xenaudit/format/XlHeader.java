package xenaudit.format;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The xl save-file header ({@code struct save_file_header}, tools/xl/xl.h), 48 bytes in the saving
 * host's order (little-endian on x86).
 *
 * <pre>
 * off size field
 *   0   32 magic              "Xen saved domain, xl format\n \0 \r"
 *  32    4 byteorder          0x01020304 written natively
 *  36    4 mandatory_flags    bit 0 JSON config, bit 1 STREAMv2 (clear = legacy stream)
 *  40    4 optional_flags     none defined
 *  44    4 optional_data_len  bytes of optional data that follow: u32 config_len, config
 * </pre>
 */
record XlHeader(long byteOrder, long mandatoryFlags, long optionalFlags, long optionalDataLen) {
  static final byte[] MAGIC =
      "Xen saved domain, xl format\n \0 \r".getBytes(StandardCharsets.ISO_8859_1);
  static final int MAGIC_OFFSET = 0;
  static final int BYTE_ORDER_OFFSET = MAGIC_OFFSET + MAGIC.length;
  static final int MANDATORY_FLAGS_OFFSET = BYTE_ORDER_OFFSET + 4;
  static final int OPTIONAL_FLAGS_OFFSET = MANDATORY_FLAGS_OFFSET + 4;
  static final int OPTIONAL_DATA_LEN_OFFSET = OPTIONAL_FLAGS_OFFSET + 4;
  static final int SIZE = OPTIONAL_DATA_LEN_OFFSET + 4;

  static final long BYTE_ORDER_MARK = 0x01020304L;
  static final long FLAG_JSON = 1;
  static final long FLAG_STREAM_V2 = 2;
  static final long KNOWN_MANDATORY_FLAGS = FLAG_JSON | FLAG_STREAM_V2;
  /** Length of the u32 config_len that starts the optional data. */
  static final int CONFIG_LEN_SIZE = 4;

  /** Decodes the fields after the magic; {@code b} holds {@link #SIZE} bytes. */
  static XlHeader decode(ByteBuffer b) {
    b.order(ByteOrder.LITTLE_ENDIAN);
    return new XlHeader(
        Integer.toUnsignedLong(b.getInt(BYTE_ORDER_OFFSET)),
        Integer.toUnsignedLong(b.getInt(MANDATORY_FLAGS_OFFSET)),
        Integer.toUnsignedLong(b.getInt(OPTIONAL_FLAGS_OFFSET)),
        Integer.toUnsignedLong(b.getInt(OPTIONAL_DATA_LEN_OFFSET)));
  }

  boolean json() {
    return (mandatoryFlags & FLAG_JSON) != 0;
  }

  boolean streamV2() {
    return (mandatoryFlags & FLAG_STREAM_V2) != 0;
  }
}
