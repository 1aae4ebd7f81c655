package xenaudit.policy;

import java.util.Objects;

/**
 * A verdict, the one sentence that explains it, naming the bits that decided it (e.g. {@code
 * "Intel; MDS_NO clear; MD_CLEAR set: VERW flushes the buffers"}), and the line the guest's own
 * Linux prints in its sysfs file for the issue ({@code "Mitigation: Clear CPU buffers; SMT Host
 * state unknown"}), or null when the policy does not determine it.
 *
 * <p>In {@code sysfs}, a part that depends on what no stream records (the guest's SMT state at run
 * time, whether it runs VMs of its own) is written as its possible values in braces: {@code
 * "SMT {disabled|vulnerable}"}.
 */
public record Assessment(Verdict verdict, String reason, String sysfs) {
  public Assessment {
    Objects.requireNonNull(verdict, "verdict");
    Objects.requireNonNull(reason, "reason");
  }

  public Assessment(Verdict verdict, String reason) {
    this(verdict, reason, null);
  }
}
