package xenaudit.policy;

import java.util.ArrayList;
import java.util.List;
import xenaudit.format.CpuFeature;

/**
 * Would a guest with this policy restore on a destination offering that one? Starts from the
 * audit Xen runs on restore, {@code x86_cpu_policies_are_compatible()} (xen/lib/x86/policy.c),
 * which still checks only vendor, max leaves and PLATFORM_INFO ("TODO: Audit more CPUID data"),
 * and adds what that TODO leaves out: every feature of the table the guest sees must be offered.
 *
 * <table>
 *   <caption>Blocker kinds, in the order they are reported</caption>
 *   <tr><th>kind</th><th>when</th><th>fields</th></tr>
 *   <tr><td>vendor</td><td>leaf 0 ebx/ecx/edx differ</td><td>leaf 0</td></tr>
 *   <tr><td>max_leaf</td><td>guest's leaf 0 eax, 7:0 eax or 0x80000000 eax above the
 *       target's</td><td>leaf, subleaf (0 for leaf 7), register eax</td></tr>
 *   <tr><td>msr</td><td>a PLATFORM_INFO bit set in the guest, clear in the target; one per
 *       bit</td><td>msrIndex 0xCE, register, bit</td></tr>
 *   <tr><td>feature</td><td>a table feature present in the guest, not in the target; table
 *       order</td><td>feature; leaf, subleaf, register, bit for CPUID features; msrIndex,
 *       register (bits31:0 / bits63:32), bit within the 64-bit MSR for MSR features</td></tr>
 * </table>
 *
 * A null subleaf means a leaf without subleaves. Target values Xen would read as zero count as
 * zero: a leaf or MSR the target lacks ({@code xen-cpuid} does not print all-zero leaves), a
 * feature whose {@link CpuPolicy#present} is null. A guest feature that is null is not checked.
 *
 * <p>Features with the {@code |} attribute (md_clear, fb_clear, rfds_clear, verw_clear, ...) do not
 * block: Xen accumulates them across a migration pool, because they tell the guest that a
 * mitigation it may need on some host works, and losing one costs protection, not correctness.
 * They are listed in {@link Result#nonBlockingFeatures}.
 */
public final class MigrationCheck {
  private static final long LEAF0 = 0;
  private static final long LEAF7 = 7;

  /** The one PLATFORM_INFO bit Xen defines (CPUID faulting), named in details. */
  private static final int CPUID_FAULTING_BIT = 31;

  /**
   * @param compatible true when {@code blockers} is empty
   * @param nonBlockingFeatures lower-case names of {@code |} features the guest has and the target
   *     lacks, table order
   */
  public record Result(boolean compatible, List<Blocker> blockers, List<String> nonBlockingFeatures) {}

  /**
   * One reason the guest would not restore. Fields that do not apply are null (see the class
   * table); {@code leaf}, {@code subleaf}, {@code bit} and {@code msrIndex} are unsigned values.
   */
  public record Blocker(
      String kind,
      String feature,
      Long leaf,
      Long subleaf,
      String register,
      Long bit,
      Long msrIndex,
      String detail) {}

  private MigrationCheck() {}

  /**
   * @param guest the guest's policy; it must carry CPUID leaves (a stream without an
   *     X86_CPUID_POLICY record has nothing to check: the caller skips it)
   * @param target the destination's policy for the guest's type ({@link TargetPolicy#forGuest})
   * @throws IllegalArgumentException when {@code guest} has no CPUID leaves
   */
  public static Result check(CpuPolicy guest, CpuPolicy target) {
    if (!guest.hasCpuid()) {
      throw new IllegalArgumentException("the guest policy has no CPUID leaves: nothing to check");
    }
    List<Blocker> blockers = new ArrayList<>();
    List<String> nonBlocking = new ArrayList<>();

    vendor(guest, target, blockers);
    maxLeaf(LEAF0, null, maxBasic(guest), maxBasic(target), blockers);
    maxLeaf(LEAF7, 0L, max7(guest), max7(target), blockers);
    maxLeaf(CpuPolicy.EXTENDED_BASE, null, maxExtended(guest), maxExtended(target), blockers);
    platformInfo(guest, target, blockers);

    for (CpuFeature f : Features.all()) {
      if (!Boolean.TRUE.equals(guest.present(f)) || Boolean.TRUE.equals(target.present(f))) {
        continue;
      }
      String name = Features.name(f);
      if (Features.accumulates(f)) {
        nonBlocking.add(name);
      } else if (f.msr()) {
        blockers.add(new Blocker("feature", name, null, null, f.register(), (long) f.msrBit(), f.leafOrMsr(),
            name + " present in guest, absent from target"));
      } else {
        long sub = Integer.toUnsignedLong(f.subleaf());
        blockers.add(new Blocker("feature", name, f.leafOrMsr(), sub == CpuPolicy.NO_SUBLEAF ? null : sub,
            f.register(), (long) f.bit(), null, name + " present in guest, absent from target"));
      }
    }
    return new Result(blockers.isEmpty(), List.copyOf(blockers), List.copyOf(nonBlocking));
  }

  /** Xen compares the raw registers, so two unknown vendors with different strings differ too. */
  private static void vendor(CpuPolicy guest, CpuPolicy target, List<Blocker> out) {
    int[] g = leaf0(guest);
    int[] t = leaf0(target);
    if (g[1] != t[1] || g[2] != t[2] || g[3] != t[3]) {
      out.add(new Blocker("vendor", null, LEAF0, null, null, null, null,
          "guest " + vendorString(g) + " vs target " + vendorString(t)));
    }
  }

  private static int[] leaf0(CpuPolicy p) {
    int[] r = p.leaf(LEAF0, CpuPolicy.NO_SUBLEAF);
    return r == null ? new int[4] : r;
  }

  private static String vendorString(int[] leaf0) {
    if ((leaf0[1] | leaf0[2] | leaf0[3]) == 0) {
      return "(none)";
    }
    StringBuilder b = new StringBuilder();
    Vendor.string(leaf0[1], leaf0[3], leaf0[2]).chars().forEach(c -> b.append(c < 0x20 || c > 0x7E ? '?' : (char) c));
    return b.toString();
  }

  private static void maxLeaf(long leaf, Long subleaf, long guest, long target, List<Blocker> out) {
    if (guest > target) {
      String where = "0x" + Long.toHexString(leaf) + (subleaf == null ? "" : ":" + subleaf);
      out.add(new Blocker("max_leaf", null, leaf, subleaf, "eax", null, null,
          "leaf " + where + " eax: guest 0x" + Long.toHexString(guest) + " > target 0x" + Long.toHexString(target)));
    }
  }

  private static long maxBasic(CpuPolicy p) {
    Long v = p.maxBasicLeaf();
    return v == null ? 0 : v;
  }

  /** 7:0 eax, or 0 when leaf 7 is past the max leaf (Xen clears out-of-range leaves). */
  private static long max7(CpuPolicy p) {
    Long v = p.pastMaxLeaf(LEAF7, 0) ? null : p.maxLeaf7Subleaf();
    return v == null ? 0 : v;
  }

  private static long maxExtended(CpuPolicy p) {
    Long v = p.maxExtendedLeaf();
    return v == null ? 0 : v;
  }

  /** Xen: {@code ~host->platform_info.raw & guest->platform_info.raw} must be 0. */
  private static void platformInfo(CpuPolicy guest, CpuPolicy target, List<Blocker> out) {
    long g = valueOrZero(guest.msr(CpuPolicy.PLATFORM_INFO));
    long t = valueOrZero(target.msr(CpuPolicy.PLATFORM_INFO));
    long missing = g & ~t;
    for (int bit = 0; bit < 64; bit++) {
      if ((missing >>> bit & 1) != 0) {
        String what = bit == CPUID_FAULTING_BIT ? " (CPUID faulting)" : "";
        out.add(new Blocker("msr", null, null, null, bit < 32 ? "bits31:0" : "bits63:32", (long) bit,
            CpuPolicy.PLATFORM_INFO, "PLATFORM_INFO bit " + bit + what + " set in guest, clear in target"));
      }
    }
  }

  private static long valueOrZero(Long v) {
    return v == null ? 0 : v;
  }
}
