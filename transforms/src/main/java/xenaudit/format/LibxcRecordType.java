package xenaudit.format;

import java.util.HashMap;
import java.util.Map;

/**
 * libxc record types (libxc-migration-stream spec revision 3, §3.2 of the format doc).
 *
 * <p>{@code guests} names the domain types a record belongs to; {@code minVersion} is the first
 * stream version that has it. The length rule of each type lives with its decoder.
 */
enum LibxcRecordType {
  END(0x00, Guests.ALL, 2),
  PAGE_DATA(0x01, Guests.ALL, 2),
  X86_PV_INFO(0x02, Guests.PV, 2),
  X86_PV_P2M_FRAMES(0x03, Guests.PV, 2),
  X86_PV_VCPU_BASIC(0x04, Guests.PV, 2),
  X86_PV_VCPU_EXTENDED(0x05, Guests.PV, 2),
  X86_PV_VCPU_XSAVE(0x06, Guests.PV, 2),
  SHARED_INFO(0x07, Guests.PV, 2),
  X86_TSC_INFO(0x08, Guests.ALL, 2),
  HVM_CONTEXT(0x09, Guests.HVM, 2),
  HVM_PARAMS(0x0A, Guests.HVM, 2),
  TOOLSTACK(0x0B, Guests.ALL, 2),
  X86_PV_VCPU_MSRS(0x0C, Guests.PV, 2),
  VERIFY(0x0D, Guests.ALL, 2),
  CHECKPOINT(0x0E, Guests.ALL, 2),
  CHECKPOINT_DIRTY_PFN_LIST(0x0F, Guests.ALL, 2),
  STATIC_DATA_END(0x10, Guests.ALL, 3),
  X86_CPUID_POLICY(0x11, Guests.ALL, 3),
  X86_MSR_POLICY(0x12, Guests.ALL, 3);

  enum Guests {
    ALL,
    PV,
    HVM;

    boolean admits(GuestType t) {
      return this == ALL || (this == PV ? t == GuestType.X86_PV : t == GuestType.X86_HVM);
    }
  }

  private static final Map<Long, LibxcRecordType> BY_CODE = new HashMap<>();

  static {
    for (LibxcRecordType t : values()) {
      BY_CODE.put(t.code, t);
    }
  }

  final long code;
  final Guests guests;
  final int minVersion;

  LibxcRecordType(long code, Guests guests, int minVersion) {
    this.code = code;
    this.guests = guests;
    this.minVersion = minVersion;
  }

  /** The type for a code, or null for an unknown one. */
  static LibxcRecordType of(long code) {
    return BY_CODE.get(code);
  }

  /** Name for findings: the enum name, or the hex code of an unknown type. */
  static String nameOf(long code) {
    LibxcRecordType t = of(code);
    return t != null ? t.name() : RecordHeader.hexType(code);
  }
}
