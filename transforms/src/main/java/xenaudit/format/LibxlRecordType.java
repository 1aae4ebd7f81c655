package xenaudit.format;

import java.util.HashMap;
import java.util.Map;

/** libxl record types (libxl-migration-stream spec revision 2, §3.9 of the format doc). */
enum LibxlRecordType {
  END(0x00),
  LIBXC_CONTEXT(0x01),
  EMULATOR_XENSTORE_DATA(0x02),
  EMULATOR_CONTEXT(0x03),
  CHECKPOINT_END(0x04),
  CHECKPOINT_STATE(0x05);

  private static final Map<Long, LibxlRecordType> BY_CODE = new HashMap<>();

  static {
    for (LibxlRecordType t : values()) {
      BY_CODE.put(t.code, t);
    }
  }

  final long code;

  LibxlRecordType(long code) {
    this.code = code;
  }

  static LibxlRecordType of(long code) {
    return BY_CODE.get(code);
  }

  static String nameOf(long code) {
    LibxlRecordType t = of(code);
    return t != null ? t.name() : RecordHeader.hexType(code);
  }
}
