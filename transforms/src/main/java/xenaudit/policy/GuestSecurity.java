package xenaudit.policy;

import java.util.EnumMap;
import java.util.Map;
import xenaudit.format.GuestType;

/**
 * A guest's standing against the {@link SecurityIssue}s, from the CPUID/MSR policy its stream
 * carried: the CPU identity, the security features as the guest's kernel sees them, and one
 * {@link Assessment} per issue (see {@link SecurityRules}).
 *
 * <p>A policy without CPUID leaves ({@link CpuPolicy#NONE}: v2, legacy and unreadable streams)
 * gives {@link Verdict#UNKNOWN} for every issue, never a guess.
 */
public final class GuestSecurity {
  private final CpuPolicy policy;
  private final GuestType guestType;
  private final Map<SecurityIssue, Assessment> assessments = new EnumMap<>(SecurityIssue.class);
  /** Per table: the first matching row, NO_ROW, or why it cannot be told (a String); null until asked. */
  private final Object[] modelRows = new Object[VulnerabilityModels.Table.values().length];
  private static final Object NO_ROW = new Object();

  private GuestSecurity(CpuPolicy policy, GuestType guestType) {
    this.policy = policy;
    this.guestType = guestType;
    for (SecurityIssue i : SecurityIssue.values()) {
      assessments.put(i, SecurityRules.assess(i, this));
    }
  }

  /**
   * The standing of a guest of type {@code guestType} (null when the stream does not say, which
   * leaves the verdicts that depend on it, Meltdown's, unknown).
   */
  public static GuestSecurity of(CpuPolicy p, GuestType guestType) {
    return new GuestSecurity(p, guestType);
  }

  /**
   * The standing of the guest a stream saved, with its policy {@code p}. A v2 stream gets none: a
   * CPUID or MSR record there is a corruption (Xen's v2 restore has no such record types), so
   * nothing is concluded from it.
   */
  public static GuestSecurity of(xenaudit.format.ImageReport r, CpuPolicy p) {
    return new GuestSecurity(r.streamVersion() == 2 ? CpuPolicy.NONE : p, r.guestType());
  }

  /** The standing of a guest whose type is not known. */
  public static GuestSecurity of(CpuPolicy p) {
    return new GuestSecurity(p, null);
  }

  /** PV or HVM (PVH guests are HVM in the stream), or null. */
  public GuestType guestType() {
    return guestType;
  }

  public CpuPolicy policy() {
    return policy;
  }

  /** The CPU vendor, or null when the policy has no leaf 0. */
  public Vendor vendor() {
    return policy.vendor();
  }

  /** Display family (Linux's {@code x86_family}), or null when the policy has no leaf 1. */
  public Long family() {
    return policy.family();
  }

  /** Display model (Linux's {@code x86_model}), or null when the policy has no leaf 1. */
  public Long model() {
    return policy.model();
  }

  public Long stepping() {
    return policy.stepping();
  }

  /**
   * The feature as the guest's kernel sees it ({@link CpuPolicy#seen}): true, false, or null when
   * the policy cannot tell.
   *
   * @param column a lower-case Xen feature name, normally one of {@link SecurityFeatures#COLUMNS}
   * @throws IllegalArgumentException for a name cpufeatureset.tsv lacks
   */
  public Boolean feature(String column) {
    return policy.seen(Features.byName(column));
  }

  /** The first row of a Linux model table for this guest (a Row, null, or a String saying why unknown), memoised. */
  Object modelRow(VulnerabilityModels.Table table, java.util.function.Supplier<Object> lookup) {
    Object r = modelRows[table.ordinal()];
    if (r == null) {
      r = lookup.get();
      modelRows[table.ordinal()] = r == null ? NO_ROW : r;
    }
    return r == NO_ROW ? null : r;
  }

  public Assessment assessment(SecurityIssue issue) {
    return assessments.get(issue);
  }
}
