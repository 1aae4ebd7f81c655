package xenaudit.format;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Everything the audit learned from one input: identity, structure counts, the CPUID and MSR
 * policies, and the findings. Filled in by {@link ImageReader}; read-only to everyone else.
 */
public final class ImageReport {
  private final String source;
  private final int maxFindings;
  private final List<Finding> findings = new ArrayList<>();
  private final long[] severityCounts = new long[Severity.values().length];

  Container container = Container.UNKNOWN;
  int streamVersion;
  GuestType guestType;
  long xenMajor = -1;
  long xenMinor = -1;
  GuestConfig config = GuestConfig.NONE;
  /** Where the xl JSON config starts (findings about what it requests are located there), or -1. */
  long configOffset = -1;
  long sizeBytes = -1;
  long bytesRead;
  long records;
  long pages;
  long checkpoints;
  final java.util.zip.CRC32C payloadChecksum = new java.util.zip.CRC32C();
  long payloadBytes = -1;
  List<CpuidLeaf> cpuid;
  List<MsrEntry> msr;
  boolean internalError;

  ImageReport(String source, int maxFindings) {
    this.source = source;
    this.maxFindings = maxFindings;
  }

  /** The findings and counts so far, to {@link #rollBack} to. */
  record Mark(int listed, long errors, long warnings, long infos, long pages, long checkpoints) {}

  Mark mark() {
    return new Mark(findings.size(), severityCounts[0], severityCounts[1], severityCounts[2], pages, checkpoints);
  }

  /** Forgets the findings, pages and checkpoints counted since the mark. */
  void rollBack(Mark m) {
    findings.subList(Math.min(m.listed(), findings.size()), findings.size()).clear();
    severityCounts[0] = m.errors();
    severityCounts[1] = m.warnings();
    severityCounts[2] = m.infos();
    pages = m.pages();
    checkpoints = m.checkpoints();
  }

  void add(Finding f) {
    severityCounts[f.severity().ordinal()]++;
    if (findings.size() < maxFindings) {
      findings.add(f);
    } else if (findings.size() == maxFindings) {
      findings.add(
          new Finding(
              FindingCode.FINDINGS_CAPPED,
              "more than " + maxFindings + " findings; the rest are counted, not listed",
              f.offset(),
              f.recordIndex(),
              f.recordType(),
              f.layer()));
    }
  }

  public String source() {
    return source;
  }

  public ImageStatus status() {
    for (Finding f : findings) {
      if (f.code() == FindingCode.READ_ERROR) {
        return ImageStatus.UNREADABLE;
      }
    }
    return errorCount() > 0 ? ImageStatus.INVALID : ImageStatus.VALID;
  }

  public boolean valid() {
    return errorCount() == 0;
  }

  public long errorCount() {
    return severityCounts[Severity.ERROR.ordinal()];
  }

  public long warningCount() {
    return severityCounts[Severity.WARNING.ordinal()];
  }

  public long infoCount() {
    return severityCounts[Severity.INFO.ordinal()];
  }

  /** Findings in stream order; at most the configured cap plus one FINDINGS_CAPPED marker. */
  public List<Finding> findings() {
    return Collections.unmodifiableList(findings);
  }

  public Container container() {
    return container;
  }

  /** libxc stream version (2 or 3), or 0 when no image header was read. */
  public int streamVersion() {
    return streamVersion;
  }

  /** Domain type from the libxc domain header, or null. */
  public GuestType guestType() {
    return guestType;
  }

  /** xen_major from the domain header, or -1. */
  public long xenMajor() {
    return xenMajor;
  }

  public long xenMinor() {
    return xenMinor;
  }

  /** "major.minor", or null when no domain header was read. */
  public String xenVersion() {
    return xenMajor < 0 ? null : xenMajor + "." + xenMinor;
  }

  public GuestConfig config() {
    return config;
  }

  public String guestName() {
    return config.name();
  }

  public String guestUuid() {
    return config.uuid();
  }

  /** Input size in bytes, or -1 when unknown (streamed input). */
  public long sizeBytes() {
    return sizeBytes;
  }

  /** Bytes actually transferred from the input. */
  public long bytesRead() {
    return bytesRead;
  }

  /** libxl plus libxc records framed. */
  public long records() {
    return records;
  }

  /** Pages whose contents the stream carries (PAGE_DATA entries of a data-carrying type). */
  public long pages() {
    return pages;
  }

  /** Checkpoints (libxc CHECKPOINT records) of a Remus/COLO stream. */
  public long checkpoints() {
    return checkpoints;
  }

  /** The CPUID policy (the last X86_CPUID_POLICY record, as Xen applies it), or empty. */
  public List<CpuidLeaf> cpuid() {
    return cpuid == null ? List.of() : Collections.unmodifiableList(cpuid);
  }

  /** The MSR policy (the last X86_MSR_POLICY record), or empty. */
  public List<MsrEntry> msr() {
    return msr == null ? List.of() : Collections.unmodifiableList(msr);
  }

  /** Page payload bytes read and checksummed, or -1 when payload was skipped (the default). */
  public long payloadBytes() {
    return payloadBytes;
  }

  /** CRC32C of all page payload in stream order, when {@link #payloadBytes()} is not -1. */
  public long payloadCrc32c() {
    return payloadChecksum.getValue();
  }

  /** True when the reader hit a bug of its own; the CLI exits 2. */
  public boolean internalError() {
    return internalError;
  }
}
