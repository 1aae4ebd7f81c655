package xenaudit.policy;

import java.util.Objects;

/**
 * A verdict and the one sentence that explains it, naming the bits that decided it, e.g. {@code
 * "Intel; MDS_NO clear; MD_CLEAR set: VERW flushes the buffers"}.
 */
public record Assessment(Verdict verdict, String reason) {
  public Assessment {
    Objects.requireNonNull(verdict, "verdict");
    Objects.requireNonNull(reason, "reason");
  }
}
