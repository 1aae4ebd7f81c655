package xenaudit.policy;

import java.util.Locale;

/**
 * A CPU side-channel issue the audit gives a per-guest {@link Verdict} for: every entry of Linux's
 * {@code /sys/devices/system/cpu/vulnerabilities/} a guest's CPUID/MSR policy can speak to, plus
 * BHI and PBRSB, which Linux reports inside {@code spectre_v2}.
 *
 * <p>The order is the column order of {@code guest_security}: append only.
 */
public enum SecurityIssue {
  MDS("MDS", "Microarchitectural Data Sampling", "XSA-297", "mds", Scope.INTEL),
  TAA("TAA", "TSX Asynchronous Abort", "XSA-305", "tsx_async_abort", Scope.INTEL),
  SSB("SSB", "Speculative Store Bypass (Spectre v4)", "XSA-263", "spec_store_bypass", Scope.ALL),
  SPECTRE_V2("Spectre v2", "Branch Target Injection", "XSA-254", "spectre_v2", Scope.ALL),
  SRBDS("SRBDS", "Special Register Buffer Data Sampling", "XSA-320", "srbds", Scope.INTEL),
  GDS("GDS", "Gather Data Sampling (\u201cDownfall\u201d)", "XSA-435", "gather_data_sampling", Scope.INTEL),
  RFDS("RFDS", "Register File Data Sampling", "XSA-452", "reg_file_data_sampling", Scope.INTEL),
  ITS("ITS", "Indirect Target Selection", "XSA-469", "indirect_target_selection", Scope.INTEL),
  MELTDOWN("Meltdown", "Rogue Data Cache Load", "XSA-254", "meltdown", Scope.INTEL),
  SPECTRE_V1("Spectre v1", "Bounds Check Bypass", "XSA-254", "spectre_v1", Scope.ALL),
  L1TF("L1TF", "L1 Terminal Fault (\u201cForeshadow\u201d)", "XSA-273", "l1tf", Scope.INTEL),
  ITLB_MULTIHIT("iTLB multihit", "Machine Check Error on Page Size Change", "XSA-304", "itlb_multihit", Scope.INTEL),
  MMIO_STALE_DATA("MMIO stale data", "Processor MMIO Stale Data", "XSA-404", "mmio_stale_data", Scope.INTEL),
  RETBLEED("Retbleed", "Return Stack Buffer Underflow / Branch Type Confusion", "XSA-407", "retbleed", Scope.ALL),
  SRSO("SRSO", "Speculative Return Stack Overflow (\u201cInception\u201d)", "XSA-434", "spec_rstack_overflow",
      Scope.AMD),
  TSA("TSA", "Transient Scheduler Attacks", "XSA-471", "tsa", Scope.AMD),
  BHI("BHI", "Branch History Injection", "XSA-456", "spectre_v2", Scope.INTEL),
  PBRSB("PBRSB", "Post-barrier Return Stack Buffer Predictions", "no XSA", "spectre_v2", Scope.INTEL);

  /** Which CPUs an issue can affect at all: how the report groups issues. */
  public enum Scope {
    ALL("Every vendor"),
    INTEL("Intel only"),
    AMD("AMD and Hygon only");

    private final String title;

    Scope(String title) {
      this.title = title;
    }

    public String title() {
      return title;
    }

    /** Whether a guest of {@code v} can be affected. */
    public boolean concerns(Vendor v) {
      return switch (this) {
        case ALL -> true;
        case INTEL -> v == Vendor.INTEL;
        case AMD -> v == Vendor.AMD || v == Vendor.HYGON;
      };
    }
  }

  private final String displayName;
  private final String title;
  private final String advisory;
  private final String sysfsFile;
  private final Scope scope;

  SecurityIssue(String displayName, String title, String advisory, String sysfsFile, Scope scope) {
    this.displayName = displayName;
    this.title = title;
    this.advisory = advisory;
    this.sysfsFile = sysfsFile;
    this.scope = scope;
  }

  /** Column prefix in the audit tables: {@code mds}, ..., {@code spectre_v2}, ..., {@code pbrsb}. */
  public String column() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** "MDS", "Spectre v2", "MMIO stale data". */
  public String displayName() {
    return displayName;
  }

  /** "Microarchitectural Data Sampling". */
  public String title() {
    return title;
  }

  /** The Xen Security Advisory, "XSA-297" (PBRSB has none). */
  public String advisory() {
    return advisory;
  }

  /** The file under /sys/devices/system/cpu/vulnerabilities/ Linux reports it in. */
  public String sysfsFile() {
    return sysfsFile;
  }

  public Scope scope() {
    return scope;
  }
}
