package xenaudit.policy;

import java.util.Locale;

/** A CPU side-channel issue the audit gives a per-guest {@link Verdict} for. */
public enum SecurityIssue {
  /** Microarchitectural Data Sampling (XSA-297). */
  MDS,
  /** TSX Asynchronous Abort (XSA-305). */
  TAA,
  /** Speculative Store Bypass, Spectre v4 (XSA-263). */
  SSB,
  /** Branch Target Injection (XSA-254). */
  SPECTRE_V2,
  /** Special Register Buffer Data Sampling (XSA-320). */
  SRBDS,
  /** Gather Data Sampling, "Downfall" (XSA-435). */
  GDS,
  /** Register File Data Sampling (XSA-452). */
  RFDS,
  /** Indirect Target Selection (XSA-469). */
  ITS;

  /** Column prefix in the audit tables: {@code mds}, ..., {@code spectre_v2}, ..., {@code its}. */
  public String column() {
    return name().toLowerCase(Locale.ROOT);
  }
}
