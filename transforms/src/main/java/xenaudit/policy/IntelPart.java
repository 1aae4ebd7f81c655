package xenaudit.policy;

import java.util.List;

/**
 * One row of a model table: an Intel family-6 model and a stepping range, named as Linux's {@code
 * arch/x86/include/asm/intel-family.h} names it.
 */
record IntelPart(String name, int model, int firstStepping, int lastStepping) {
  static final int ANY_STEPPING = 0xF;

  /** Every stepping of the model. */
  static IntelPart of(String name, int model) {
    return new IntelPart(name, model, 0, ANY_STEPPING);
  }

  boolean matches(long family, long model, long stepping) {
    return family == 6 && model == this.model && stepping >= firstStepping && stepping <= lastStepping;
  }

  /** The first row matching, or null. */
  static IntelPart find(List<IntelPart> table, long family, long model, long stepping) {
    for (IntelPart p : table) {
      if (p.matches(family, model, stepping)) {
        return p;
      }
    }
    return null;
  }
}
