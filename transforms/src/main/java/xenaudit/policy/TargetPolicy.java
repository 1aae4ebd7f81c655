package xenaudit.policy;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import xenaudit.format.GuestType;
import xenaudit.policy.PolicyText.NamedPolicy;

/**
 * The policy a destination offers, read from a {@code xen-cpuid -p} text ({@link PolicyText}).
 *
 * <table>
 *   <caption>Which block a guest is checked against</caption>
 *   <tr><th>text</th><th>X86_HVM guest</th><th>X86_PV guest</th></tr>
 *   <tr><td>one block (a domain, a pool baseline)</td><td>that block</td><td>that block</td></tr>
 *   <tr><td>several blocks (a host dump)</td><td>"HVM Max"</td><td>"PV Max"</td></tr>
 * </table>
 *
 * <p>Max, not Default: on restore Xen audits the incoming policy against the domain type's max
 * policy ({@code update_domain_cpu_policy()} → {@code x86_cpu_policies_are_compatible()}), so Max
 * is what a destination accepts. Block names are compared trimmed and case-insensitively. A text
 * with several blocks but without both Max blocks is rejected rather than guessed at.
 *
 * <p>The policies are as parsed: leaves {@code xen-cpuid} skipped are absent and read as zero (see
 * {@link PolicyText}).
 */
public final class TargetPolicy implements Serializable {
  private static final long serialVersionUID = 1L;

  static final String HVM_MAX = "HVM Max";
  static final String PV_MAX = "PV Max";

  private final String source;
  private final String hvmBlock;
  private final CpuPolicy hvm;
  private final String pvBlock;
  private final CpuPolicy pv;

  private TargetPolicy(String source, String hvmBlock, CpuPolicy hvm, String pvBlock, CpuPolicy pv) {
    this.source = source;
    this.hvmBlock = hvmBlock;
    this.hvm = hvm;
    this.pvBlock = pvBlock;
    this.pv = pv;
  }

  /**
   * @param source where the text came from (a file name), used in {@link #blockFor}
   * @throws PolicyTextException when the text does not parse, or has several blocks without both
   *     "HVM Max" and "PV Max"
   */
  public static TargetPolicy parse(String source, String text) throws PolicyTextException {
    Objects.requireNonNull(source, "source");
    List<NamedPolicy> blocks = PolicyText.parse(text);
    if (blocks.size() == 1) {
      NamedPolicy only = blocks.get(0);
      return new TargetPolicy(source, only.name(), only.policy(), only.name(), only.policy());
    }
    NamedPolicy hvm = find(blocks, HVM_MAX);
    NamedPolicy pv = find(blocks, PV_MAX);
    if (hvm == null || pv == null) {
      List<String> names = new ArrayList<>();
      blocks.forEach(b -> names.add(b.name()));
      throw new PolicyTextException(0, source + ": " + blocks.size() + " policy blocks " + names
          + " but not both \"" + HVM_MAX + "\" and \"" + PV_MAX + "\"; give a host dump or a single block");
    }
    return new TargetPolicy(source, hvm.name(), hvm.policy(), pv.name(), pv.policy());
  }

  private static NamedPolicy find(List<NamedPolicy> blocks, String name) {
    for (NamedPolicy b : blocks) {
      if (b.name().strip().toLowerCase(Locale.ROOT).equals(name.toLowerCase(Locale.ROOT))) {
        return b;
      }
    }
    return null;
  }

  /** The policy a guest of this type is checked against. */
  public CpuPolicy forGuest(GuestType type) {
    return type == GuestType.X86_PV ? pv : hvm;
  }

  public String source() {
    return source;
  }

  /** {@code source:block name} of the block used for the type, e.g. {@code host.txt:HVM Max}. */
  public String blockFor(GuestType type) {
    return source + ":" + (type == GuestType.X86_PV ? pvBlock : hvmBlock);
  }

  @Override
  public String toString() {
    return "TargetPolicy[" + blockFor(GuestType.X86_HVM) + ", " + blockFor(GuestType.X86_PV) + "]";
  }
}
