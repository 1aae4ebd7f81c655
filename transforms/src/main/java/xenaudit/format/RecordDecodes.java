package xenaudit.format;

/**
 * The one-line decode of a record for {@link RecordObserver}: what its length says (entry counts)
 * and what the reader took from it (pages carried), without reading the body a second time.
 */
final class RecordDecodes {
  private RecordDecodes() {}

  /** @param pages data pages the record carried (PAGE_DATA) */
  static String libxc(LibxcRecordType t, long length, long pages) {
    if (t == null) {
      return "unknown record, skipped";
    }
    return switch (t) {
      case END, VERIFY, CHECKPOINT, STATIC_DATA_END -> "marker";
      case PAGE_DATA -> length >= 8 ? "count " + (length - 8 - 4096 * pages) / 8 + ", " + pages + " pages of data"
          : "no header";
      case X86_PV_P2M_FRAMES -> length >= 8 ? (length - 8) / 8 + " P2M frames" : "no pfn range";
      case X86_PV_VCPU_BASIC, X86_PV_VCPU_EXTENDED, X86_PV_VCPU_XSAVE, X86_PV_VCPU_MSRS ->
          length >= 8 ? (length - 8) + " bytes of vCPU state" : "no vCPU header";
      case HVM_PARAMS -> length >= 8 ? (length - 8) / 16 + " params" : "no count";
      case CHECKPOINT_DIRTY_PFN_LIST -> length / 8 + " pfns";
      case X86_CPUID_POLICY -> length / CpuidLeaf.SIZE + " leaves";
      case X86_MSR_POLICY -> length / MsrEntry.SIZE + " MSRs";
      case HVM_CONTEXT -> length + " bytes of HVM context";
      default -> length + " bytes";
    };
  }

  static String libxl(LibxlRecordType t, long length) {
    if (t == null) {
      return "unknown record, skipped";
    }
    return switch (t) {
      case END, LIBXC_CONTEXT, CHECKPOINT_END -> "marker";
      case EMULATOR_XENSTORE_DATA, EMULATOR_CONTEXT -> length >= 8 ? (length - 8) + " bytes of emulator state"
          : "no emulator header";
      default -> length + " bytes";
    };
  }
}
