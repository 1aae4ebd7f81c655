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
  static final String NOT_AFFECTED = "Not affected";

  /** A rule body: reads bits through the context, returns through one of its verdict methods. */
  @FunctionalInterface
  interface Rule {
    Outcome apply(RuleContext c);
  }

  /** A verdict before it becomes an {@link Assessment}: the bits read, then why, and what Linux prints. */
  record Outcome(Verdict verdict, List<String> trail, String why, String sysfs) {
    Assessment assessment() {
      return new Assessment(verdict, trail.isEmpty() ? why : String.join("; ", trail) + ": " + why, sysfs);
    }

    /** The same verdict, with the line the guest's Linux prints in the sysfs file. */
    Outcome prints(String line) {
      return new Outcome(verdict, trail, why, line);
    }

    /**
     * The same, the line made by {@code line}, which reads bits {@link #quiet}ly: null when one
     * of them is unknown (the verdict stands; the line is not determined).
     */
    Outcome prints(java.util.function.Supplier<String> line) {
      try {
        return prints(line.get());
      } catch (LineUnknown u) {
        return prints((String) null);
      }
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

  /** Thrown by {@link #quiet} for an unknown bit: the sysfs line, not the verdict, depends on it. */
  private static final class LineUnknown extends RuntimeException {
    LineUnknown() {
      super(null, null, false, false);
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
      return new Outcome(Verdict.UNKNOWN, c.trail, u.getMessage(), null);
    } catch (Fork f) {
      Outcome set = run(g, rule, with(assumed, f.feature, true));
      List<String> at = new ArrayList<>(c.trail);
      at.add(upper(f.feature) + " unknown");
      if (set.verdict() == Verdict.UNKNOWN) {
        return new Outcome(Verdict.UNKNOWN, at, whyUnknown(f.feature), null);
      }
      Outcome clear = run(g, rule, with(assumed, f.feature, false));
      if (set.verdict() != clear.verdict() || clear.verdict() == Verdict.UNKNOWN) {
        return new Outcome(Verdict.UNKNOWN, at, whyUnknown(f.feature), null);
      }
      return either(set, clear);
    }
  }

  /**
   * Same verdict whichever way the unknown bit goes: report the path that read more bits (it names
   * the bits that decided), marked as holding either way. What Linux prints stands only if both
   * ways print the same.
   */
  private static Outcome either(Outcome set, Outcome clear) {
    Outcome pick = clear.trail().size() > set.trail().size() ? clear : set;
    String why = pick.why().endsWith(EITHER_WAY) ? pick.why() : pick.why() + EITHER_WAY;
    String sysfs = java.util.Objects.equals(set.sysfs(), clear.sysfs()) ? pick.sysfs() : null;
    return new Outcome(pick.verdict(), pick.trail(), why, sysfs);
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

  /** "MDS_NO set", "MDS_NO clear", "MDS_NO unknown", made once per feature. */
  private static final java.util.concurrent.ConcurrentMap<String, String[]> LABELS =
      new java.util.concurrent.ConcurrentHashMap<>();

  private static String label(String feature, int state) {
    return LABELS.computeIfAbsent(feature, f -> {
      String u = upper(f);
      return new String[] {u + " set", u + " clear", u + " unknown"};
    })[state];
  }

  private static String upper(String feature) {
    return feature.toUpperCase(Locale.ROOT);
  }

  /** The feature as the guest sees it (lower-case Xen name); forks when undecided. */
  boolean on(String feature) {
    Boolean v = assumed.get(feature);
    if (v != null) {
      trail.add(label(feature, 2));
      return v;
    }
    v = guest.feature(feature);
    if (v == null) {
      throw new Fork(feature);
    }
    trail.add(label(feature, v ? 0 : 1));
    return v;
  }

  /**
   * The feature as the guest sees it, like {@link #on}, but not named in the reason and never
   * forking the rule: for what decides the sysfs line ({@link Outcome#prints(java.util.function.Supplier)})
   * and not the verdict. An unknown bit leaves the line null.
   */
  boolean quiet(String feature) {
    Boolean v = assumed.get(feature);
    if (v != null) {
      return v;
    }
    v = guest.feature(feature);
    if (v == null) {
      throw new LineUnknown();
    }
    return v;
  }

  /**
   * Whether the first whitelist row matching the guest's CPU carries {@code flag}, recorded only
   * when it does: for exemptions that rarely apply.
   */
  boolean exempt(String flag) {
    VulnerabilityModels.Row r = row(VulnerabilityModels.Table.WHITELIST);
    if (r == null || !r.has(flag)) {
      return false;
    }
    trail.add(listed(r, flag));
    return true;
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

  /** The vendor, not recorded; UNKNOWN when there is no leaf 0. */
  Vendor guestVendor() {
    vendorUnrecorded();
    return guest.vendor();
  }

  /** Display family; UNKNOWN when there is no leaf 1. Not recorded: rules say why it mattered. */
  long family() {
    Long f = guest.family();
    if (f == null) {
      throw new Undecidable("family/model unknown (no CPUID leaf 1 in the policy)");
    }
    return f;
  }

  /**
   * Whether the first row of Linux's blacklist matching the guest's CPU carries one of {@code flags}
   * (Linux's cpu_matches), recorded as "family 6 model 0x55 stepping 7 (SKYLAKE_X) in Linux's GDS
   * list" or "... not in ...".
   */
  boolean blacklisted(String list, String... flags) {
    VulnerabilityModels.Row r = row(VulnerabilityModels.Table.BLACKLIST);
    boolean hit = false;
    for (String f : flags) {
      hit |= r != null && r.has(f);
    }
    trail.add(hit ? listed(r, list) : signature() + " not in Linux's " + list + " list");
    return hit;
  }

  /** The same as {@link #blacklisted} without recording it, for rules that say why in their own words. */
  boolean inBlacklist(String flag) {
    VulnerabilityModels.Row r = row(VulnerabilityModels.Table.BLACKLIST);
    return r != null && r.has(flag);
  }

  /** Whether the first whitelist row matching the guest's CPU carries {@code flag}, not recorded. */
  boolean inWhitelist(String flag) {
    VulnerabilityModels.Row r = row(VulnerabilityModels.Table.WHITELIST);
    return r != null && r.has(flag);
  }

  /** "family 6 model 0x55 stepping 7 (SKYLAKE_X) in Linux's GDS list". */
  private String listed(VulnerabilityModels.Row r, String list) {
    return signature() + " (" + r.label() + ") in Linux's " + list + " list";
  }

  /** "family 6 model 0x55 stepping 7". */
  private String signature() {
    return "family " + guest.family() + " model 0x" + Long.toHexString(guest.model()) + " stepping " + guest.stepping();
  }

  /**
   * The first row of {@code table} matching the guest's CPU, or null; UNKNOWN without leaf 0 or 1
   * (or a due but missing core type). Looked up once per guest: the rows depend on no bit.
   */
  private VulnerabilityModels.Row row(VulnerabilityModels.Table table) {
    Object r = guest.modelRow(table, () -> {
      try {
        return VulnerabilityModels.first(table, cpu());
      } catch (Undecidable u) {
        return u.getMessage();
      }
    });
    if (r instanceof String why) {
      throw new Undecidable(why);
    }
    return (VulnerabilityModels.Row) r;
  }

  /** The guest's CPU as Linux's model tables see it; UNKNOWN without leaf 0 or 1. */
  private VulnerabilityModels.Cpu cpu() {
    vendorUnrecorded();
    long family = family();
    return new VulnerabilityModels.Cpu() {
      @Override
      public String linuxVendor() {
        int[] r = guest.policy().leaf(0, CpuPolicy.NO_SUBLEAF);
        return VulnerabilityModels.linuxVendor(Vendor.string(r[1], r[3], r[2]));
      }

      @Override
      public long family() {
        return family;
      }

      @Override
      public long model() {
        return guest.model();
      }

      @Override
      public long stepping() {
        return guest.stepping();
      }

      @Override
      public boolean atomCore() {
        return RuleContext.this.atomCore();
      }
    };
  }

  /**
   * Whether the guest's CPU matches Linux's Atom-type rows (x86_match_vendor_cpu_type): a hybrid
   * part (HYBRID, 7:0 edx bit 15) matches every core type; otherwise the boot CPU's core type in
   * CPUID 0x1A eax[31:24] must be 0x20: none past the max leaf, where the CPU returns zeros;
   * UNKNOWN when the leaf is due but missing.
   */
  private boolean atomCore() {
    Boolean hybrid = guest.feature("hybrid");
    if (hybrid == null) {
      throw new Undecidable("hybrid flag unknown (CPUID leaf 0x7:0 is not in the policy)");
    }
    if (hybrid) {
      return true;
    }
    CpuPolicy p = guest.policy();
    if (p.pastMaxLeaf(0x1A, CpuPolicy.NO_SUBLEAF)) {
      return false;
    }
    Long eax = p.register(0x1A, CpuPolicy.NO_SUBLEAF, 0);
    if (eax == null) {
      throw new Undecidable("core type unknown (CPUID leaf 0x1a is not in the policy)");
    }
    return (eax >>> 24 & 0xFF) == VulnerabilityModels.ATOM_CORE_TYPE;
  }

  private void vendorUnrecorded() {
    if (guest.vendor() == null) {
      throw new Undecidable("vendor unknown (no CPUID leaf 0 in the policy)");
    }
  }

  /** Whether the guest is a PV guest; UNKNOWN when the stream does not say. */
  boolean pv() {
    xenaudit.format.GuestType t = guest.guestType();
    if (t == null) {
      throw new Undecidable("guest type unknown (the stream names no domain type)");
    }
    trail.add(t == xenaudit.format.GuestType.X86_PV ? "PV guest" : "HVM/PVH guest");
    return t == xenaudit.format.GuestType.X86_PV;
  }

  /** Not affected; Linux prints "Not affected" unless {@link Outcome#prints} says otherwise. */
  Outcome notAffected(String why) {
    return new Outcome(Verdict.NOT_AFFECTED, trail, why, NOT_AFFECTED);
  }

  Outcome mitigation(String why) {
    return new Outcome(Verdict.MITIGATION_AVAILABLE, trail, why, null);
  }

  Outcome exposed(String why) {
    return new Outcome(Verdict.EXPOSED, trail, why, null);
  }
}
