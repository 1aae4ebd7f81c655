package xenaudit.policy;

import java.util.Locale;

/**
 * How a guest stands against one {@link SecurityIssue}, judged from the CPUID/MSR policy its
 * stream carried, i.e. from what the guest's kernel sees.
 */
public enum Verdict {
  /** The CPU the guest sees is not affected, or the guest cannot reach the affected path. */
  NOT_AFFECTED,
  /** Affected, and the guest sees the feature its kernel needs to mitigate. */
  MITIGATION_AVAILABLE,
  /**
   * Affected, and the guest sees no mitigation of its own; any protection is the host's (microcode,
   * Xen) and is not recorded in the stream.
   */
  EXPOSED,
  /** The stream does not carry a bit the verdict depends on. */
  UNKNOWN;

  /** {@code not_affected}, {@code mitigation_available}, {@code exposed}, {@code unknown}. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
