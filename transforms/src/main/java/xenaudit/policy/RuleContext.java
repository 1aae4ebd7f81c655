package xenaudit.policy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import xenaudit.format.CpuFeature;
import xenaudit.format.CpuidLeaf;

/**
 * Runs one rule of {@link SecurityRules} against a guest, recording every bit the rule reads so
 * the reason names them ("Intel; MDS_NO clear; MD_CLEAR set: ...").
 *
 * <p>Rules are written as if every bit were known. When a rule reads a bit the policy leaves
 * undecided ({@code null}), the rule is run again twice, once with the bit assumed set and once
 * clear: if both runs reach the same (known) verdict, that is the verdict; otherwise it is {@link
 * Verdict#UNKNOWN} naming the bit. So a null bit yields UNKNOWN exactly when the outcome depends
 * on it. A null vendor, family, model or stepping always yields UNKNOWN.
 */
final class RuleContext {
  static final String NO_CPUID = "no CPUID policy in the stream (v2 stream or unreadable)";
  static final String EITHER_WAY = " (the same whichever way the unknown bits go)";

  /** A rule body: reads bits through the context, returns through one of its verdict methods. */
  @FunctionalInterface
  interface Rule {
    Outcome apply(RuleContext c);
  }

  /** A verdict before it becomes an {@link Assessment}: the bits read, then why. */
  record Outcome(Verdict verdict, List<String> trail, String why) {
    Assessment assessment() {
      return new Assessment(verdict, trail.isEmpty() ? why : String.join("; ", trail) + ": " + why);
    }
  }

  /** Thrown (without a stack trace) when the rule reads a bit not yet assumed either way. */
  private static final class Fork extends RuntimeException {
    final String feature;

    Fork(String feature) {
      super(feature, null, false, false);
      this.feature = feature;
    }
  }

  /** Thrown when a non-boolean input (vendor, signature) is missing. */
  private static final class Undecidable extends RuntimeException {
    Undecidable(String what) {
      super(what, null, false, false);
    }
  }

  private final GuestSecurity guest;
  private final Map<String, Boolean> assumed;
  private final List<String> trail = new ArrayList<>();

  private RuleContext(GuestSecurity guest, Map<String, Boolean> assumed) {
    this.guest = guest;
    this.assumed = assumed;
  }

  static Assessment decide(GuestSecurity g, Rule rule) {
    if (!g.policy().hasCpuid()) {
      return new Assessment(Verdict.UNKNOWN, NO_CPUID);
    }
    return run(g, rule, Map.of()).assessment();
  }

  private static Outcome run(GuestSecurity g, Rule rule, Map<String, Boolean> assumed) {
    RuleContext c = new RuleContext(g, assumed);
    try {
      return rule.apply(c);
    } catch (Undecidable u) {
      return new Outcome(Verdict.UNKNOWN, c.trail, u.getMessage());
    } catch (Fork f) {
      Outcome set = run(g, rule, with(assumed, f.feature, true));
      Outcome clear = run(g, rule, with(assumed, f.feature, false));
      List<String> at = new ArrayList<>(c.trail);
      at.add(upper(f.feature) + " unknown");
      if (set.verdict() != clear.verdict() || set.verdict() == Verdict.UNKNOWN) {
        return new Outcome(Verdict.UNKNOWN, at, whyUnknown(f.feature));
      }
      return either(set, clear);
    }
  }

  /**
   * Same verdict whichever way the unknown bit goes: report the path that read more bits (it names
   * the bits that decided), marked as holding either way.
   */
  private static Outcome either(Outcome set, Outcome clear) {
    Outcome pick = clear.trail().size() > set.trail().size() ? clear : set;
    String why = pick.why().endsWith(EITHER_WAY) ? pick.why() : pick.why() + EITHER_WAY;
    return new Outcome(pick.verdict(), pick.trail(), why);
  }

  private static Map<String, Boolean> with(Map<String, Boolean> m, String k, boolean v) {
    Map<String, Boolean> out = new HashMap<>(m);
    out.put(k, v);
    return out;
  }

  private static String whyUnknown(String feature) {
    CpuFeature f = Features.byName(feature);
    if (f.msr()) {
      return String.format("MSR 0x%x is not in the policy", f.leafOrMsr());
    }
    return f.subleaf() == CpuidLeaf.NO_SUBLEAF
        ? String.format("CPUID leaf 0x%x is not in the policy", f.leafOrMsr())
        : String.format("CPUID leaf 0x%x:%d is not in the policy", f.leafOrMsr(), f.subleaf());
  }

  private static String upper(String feature) {
    return feature.toUpperCase(Locale.ROOT);
  }

  /** The feature as the guest sees it (lower-case Xen name); forks when undecided. */
  boolean on(String feature) {
    Boolean v = assumed.get(feature);
    if (v != null) {
      trail.add(upper(feature) + " unknown");
      return v;
    }
    v = guest.feature(feature);
    if (v == null) {
      throw new Fork(feature);
    }
    trail.add(upper(feature) + (v ? " set" : " clear"));
    return v;
  }

  /** The vendor, recorded in the trail ("Intel"); UNKNOWN when there is no leaf 0. */
  Vendor vendor() {
    Vendor v = guest.vendor();
    if (v == null) {
      throw new Undecidable("vendor unknown (no CPUID leaf 0 in the policy)");
    }
    trail.add(switch (v) {
      case INTEL -> "Intel";
      case AMD -> "AMD";
      case HYGON -> "Hygon";
      case OTHER -> "other vendor";
    });
    return v;
  }

  /** Display family; UNKNOWN when there is no leaf 1. Not recorded: rules say why it mattered. */
  long family() {
    Long f = guest.family();
    if (f == null) {
      throw new Undecidable("family/model unknown (no CPUID leaf 1 in the policy)");
    }
    return f;
  }

  /** The first row of the table matching the guest's signature (or null), recorded either way. */
  IntelPart listed(List<IntelPart> table, String list) {
    IntelPart p = find(table);
    String sig = String.format("family %d model 0x%x stepping %d", guest.family(), guest.model(), guest.stepping());
    trail.add(p == null ? sig + " not in " + list : sig + " (" + p.name() + ") in " + list);
    return p;
  }

  /** The first row of the table matching the guest's signature, or null; not recorded. */
  IntelPart find(List<IntelPart> table) {
    return IntelPart.find(table, family(), guest.model(), guest.stepping());
  }

  /** Records a fact the rule established without reading a bit, e.g. a family check. */
  void note(String fact) {
    trail.add(fact);
  }

  Outcome notAffected(String why) {
    return new Outcome(Verdict.NOT_AFFECTED, trail, why);
  }

  Outcome mitigation(String why) {
    return new Outcome(Verdict.MITIGATION_AVAILABLE, trail, why);
  }

  Outcome exposed(String why) {
    return new Outcome(Verdict.EXPOSED, trail, why);
  }
}
