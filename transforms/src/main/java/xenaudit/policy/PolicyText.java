package xenaudit.policy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import xenaudit.format.CpuidLeaf;

/**
 * CPU policies in the text form {@code xen-cpuid -p} prints ({@code print_policy()} in Xen's
 * tools/misc/xen-cpuid.c, unchanged since 2018): a host dump is six blocks ("Raw", "Host", "PV
 * Max", "HVM Max", "PV Default", "HVM Default"), {@code xen-cpuid -p DOMID} one ("Domain 3").
 *
 * <pre>
 * Xen reports there are maximum 120 leaves and 2 MSRs       (host dumps only; optional)
 * HVM Max policy: 115 leaves, 2 MSRs
 *  CPUID:
 *   leaf     subleaf  -> eax      ebx      ecx      edx       (column headings; optional)
 *   00000000:ffffffff -> 0000000d:756e6547:6c65746e:49656e69
 *   ...
 *  MSRs:
 *   index    -> value                                       (column headings; optional)
 *   000000ce -> 0000000000000000
 *   0000010a -> 000000000000e0eb
 * PV Max policy not supported by Xen                        (Xen built without PV; skipped)
 * </pre>
 *
 * <p><b>Missing means zero.</b> {@code xen-cpuid} skips every all-zero leaf but counts it in the
 * header, so a block lists at most N leaves, usually far fewer, and a leaf the text lacks was all
 * zeros. The parsed {@link CpuPolicy} does not carry those leaves, so its {@link
 * CpuPolicy#present} answers null for their features where Xen's policy says 0: a caller using a
 * parsed policy as a migration target must read null as false ({@link MigrationCheck} does). MSRs
 * are never skipped, so a block lists exactly M of them; an MSR absent from the text (Xen 4.14
 * serialised only PLATFORM_INFO) is absent from the policy, and as a target it reads as zero.
 *
 * <p>Strict otherwise: blank lines and the optional lines above are the only extras, hex fields
 * have exactly 8 (16 for MSR values) digits, a leaf or MSR listed twice in a block, two blocks of
 * the same name (case-insensitive), more leaf lines than N or MSR lines other than M are errors.
 * Indentation and trailing white space are not checked (mail and editors change them).
 */
public final class PolicyText {
  /** Longest text accepted, in characters: a real six-block host dump is about 25 KiB. */
  public static final int MAX_CHARS = 1 << 20;
  /** Most lines accepted: a six-block dump has at most about 750. */
  public static final int MAX_LINES = 10_000;

  static final String HEADER_FORM = "NAME policy: N leaves, M MSRs";
  static final String LEAF_FORM = "  LLLLLLLL:SSSSSSSS -> AAAAAAAA:BBBBBBBB:CCCCCCCC:DDDDDDDD";
  static final String MSR_FORM = "  IIIIIIII -> VVVVVVVVVVVVVVVV";

  private static final String HEX8 = "([0-9A-Fa-f]{8})";
  private static final Pattern HEADER =
      Pattern.compile("(\\S.*?) policy: (\\d{1,9}) leaves, (\\d{1,9}) MSRs\\s*");
  private static final Pattern MAXIMUM =
      Pattern.compile("Xen reports there are maximum \\d+ leaves and \\d+ MSRs\\s*");
  private static final Pattern UNSUPPORTED = Pattern.compile("\\S.*? policy not supported by Xen\\s*");
  private static final Pattern CPUID = Pattern.compile(" *CPUID:\\s*");
  private static final Pattern MSRS = Pattern.compile(" *MSRs:\\s*");
  private static final Pattern LEAF_HEADINGS =
      Pattern.compile(" +leaf +subleaf +-> +eax +ebx +ecx +edx\\s*");
  private static final Pattern MSR_HEADINGS = Pattern.compile(" +index +-> +value\\s*");
  private static final Pattern LEAF = Pattern.compile(
      " +" + HEX8 + ":" + HEX8 + " -> " + HEX8 + ":" + HEX8 + ":" + HEX8 + ":" + HEX8 + "\\s*");
  private static final Pattern MSR = Pattern.compile(" +" + HEX8 + " -> ([0-9A-Fa-f]{16})\\s*");

  /** One block of a policy text: its name as printed ("HVM Max", "Domain 3") and its policy. */
  public record NamedPolicy(String name, CpuPolicy policy) {}

  private PolicyText() {}

  /**
   * Every block of {@code text}, in text order.
   *
   * @throws PolicyTextException on any line not in the form above, inconsistent counts, a text
   *     without blocks, or one over {@link #MAX_CHARS} / {@link #MAX_LINES}
   */
  public static List<NamedPolicy> parse(String text) throws PolicyTextException {
    Objects.requireNonNull(text, "text");
    if (text.length() > MAX_CHARS) {
      throw new PolicyTextException(
          0, "policy text is " + text.length() + " characters; at most " + MAX_CHARS + " are accepted");
    }
    String[] lines = text.split("\n", -1);
    int count = lines.length > 0 && lines[lines.length - 1].isEmpty() ? lines.length - 1 : lines.length;
    if (count > MAX_LINES) {
      throw new PolicyTextException(MAX_LINES + 1, "more than " + MAX_LINES + " lines");
    }
    Parser p = new Parser();
    for (int i = 0; i < count; i++) {
      String line = lines[i];
      p.line(i + 1, line.endsWith("\r") ? line.substring(0, line.length() - 1) : line);
    }
    return p.finish(count + 1);
  }

  /**
   * One block in {@code xen-cpuid -p} form. All-zero leaves are left out, as {@code xen-cpuid}
   * does; unlike {@code xen-cpuid}, the header counts only the leaves written, so {@code
   * parse(format(n, p))} gives back {@code p} without its all-zero leaves.
   *
   * @param name block name: not blank, no line breaks, no leading or trailing white space
   */
  public static String format(String name, CpuPolicy p) {
    if (name == null || name.isEmpty() || !name.equals(name.strip()) || name.chars().anyMatch(c -> c < 0x20)) {
      throw new IllegalArgumentException("not a policy block name: \"" + name + "\"");
    }
    List<CpuidLeaf> written = new ArrayList<>();
    for (CpuidLeaf l : p.leaves()) {
      if ((l.eax() | l.ebx() | l.ecx() | l.edx()) != 0) {
        written.add(l);
      }
    }
    StringBuilder b = new StringBuilder();
    b.append(name).append(" policy: ").append(written.size()).append(" leaves, ");
    b.append(p.msrs().size()).append(" MSRs\n");
    b.append(" CPUID:\n");
    b.append(String.format("  %-8s %-8s -> %-8s %-8s %-8s %-8s\n", "leaf", "subleaf", "eax", "ebx", "ecx", "edx"));
    for (CpuidLeaf l : written) {
      b.append(String.format(
          "  %08x:%08x -> %08x:%08x:%08x:%08x\n", l.leaf(), l.subleaf(), l.eax(), l.ebx(), l.ecx(), l.edx()));
    }
    b.append(" MSRs:\n");
    b.append(String.format("  %-8s -> %-16s\n", "index", "value"));
    for (Map.Entry<Long, Long> e : p.msrs().entrySet()) {
      b.append(String.format("  %08x -> %016x\n", e.getKey(), e.getValue()));
    }
    return b.toString();
  }

  /** Line-by-line reader: where in a block we are, and the block being read. */
  private static final class Parser {
    private enum Where { BEFORE_FIRST, AFTER_HEADER, CPUID, MSRS }

    private final List<NamedPolicy> blocks = new ArrayList<>();
    private final Map<String, Integer> nameLines = new HashMap<>();
    private Where where = Where.BEFORE_FIRST;
    /** Column headings are accepted only as a section's first line. */
    private boolean sectionStart;

    private String name;
    private int headerLine;
    private int declaredLeaves;
    private int declaredMsrs;
    private CpuPolicy.Builder builder;
    private Map<Long, Integer> leafLines;
    private Map<Long, Integer> msrLines;

    void line(int n, String s) throws PolicyTextException {
      if (s.isBlank()) {
        return;
      }
      switch (where) {
        case BEFORE_FIRST -> {
          if (MAXIMUM.matcher(s).matches() || UNSUPPORTED.matcher(s).matches()) {
            return;
          }
          if (!header(n, s)) {
            throw expected(n, "\"" + HEADER_FORM + "\"", s);
          }
        }
        case AFTER_HEADER -> {
          if (!CPUID.matcher(s).matches()) {
            throw expected(n, "\" CPUID:\"", s);
          }
          where = Where.CPUID;
          sectionStart = true;
        }
        case CPUID -> {
          boolean first = sectionStart;
          sectionStart = false;
          if (first && LEAF_HEADINGS.matcher(s).matches()) {
            return;
          }
          if (MSRS.matcher(s).matches()) {
            where = Where.MSRS;
            sectionStart = true;
            return;
          }
          Matcher m = LEAF.matcher(s);
          if (!m.matches()) {
            throw expected(n, "\"" + LEAF_FORM + "\" or \" MSRs:\"", s);
          }
          long leaf = hex(m.group(1));
          long subleaf = hex(m.group(2));
          Integer before = leafLines.putIfAbsent(CpuPolicy.key(leaf, subleaf), n);
          if (before != null) {
            throw new PolicyTextException(n, String.format(
                "leaf %08x:%08x listed twice in block \"%s\" (first on line %d)", leaf, subleaf, name, before));
          }
          builder.leaf(leaf, subleaf, (int) hex(m.group(3)), (int) hex(m.group(4)), (int) hex(m.group(5)),
              (int) hex(m.group(6)));
        }
        case MSRS -> {
          boolean first = sectionStart;
          sectionStart = false;
          if (first && MSR_HEADINGS.matcher(s).matches()) {
            return;
          }
          Matcher m = MSR.matcher(s);
          if (m.matches()) {
            long index = hex(m.group(1));
            Integer before = msrLines.putIfAbsent(index, n);
            if (before != null) {
              throw new PolicyTextException(n, String.format(
                  "MSR %08x listed twice in block \"%s\" (first on line %d)", index, name, before));
            }
            builder.msr(index, Long.parseUnsignedLong(m.group(2), 16));
            return;
          }
          if (UNSUPPORTED.matcher(s).matches()) {
            endBlock();
            where = Where.BEFORE_FIRST;
            return;
          }
          if (HEADER.matcher(s).matches()) {
            endBlock();
            header(n, s);
            return;
          }
          throw expected(n, "\"" + MSR_FORM + "\" or \"" + HEADER_FORM + "\"", s);
        }
      }
    }

    List<NamedPolicy> finish(int endLine) throws PolicyTextException {
      switch (where) {
        case AFTER_HEADER -> throw expected(endLine, "\" CPUID:\"", null);
        case CPUID -> throw expected(endLine, "\"" + LEAF_FORM + "\" or \" MSRs:\"", null);
        case MSRS -> endBlock();
        case BEFORE_FIRST -> { }
      }
      if (blocks.isEmpty()) {
        throw new PolicyTextException(0, "no \"" + HEADER_FORM + "\" block in the text");
      }
      return List.copyOf(blocks);
    }

    private boolean header(int n, String s) throws PolicyTextException {
      Matcher m = HEADER.matcher(s);
      if (!m.matches()) {
        return false;
      }
      name = m.group(1).strip();
      Integer before = nameLines.putIfAbsent(name.toLowerCase(Locale.ROOT), n);
      if (before != null) {
        throw new PolicyTextException(n, "a second block named \"" + name + "\" (first on line " + before + ")");
      }
      headerLine = n;
      declaredLeaves = Integer.parseInt(m.group(2));
      declaredMsrs = Integer.parseInt(m.group(3));
      builder = CpuPolicy.builder();
      leafLines = new HashMap<>();
      msrLines = new HashMap<>();
      where = Where.AFTER_HEADER;
      return true;
    }

    private void endBlock() throws PolicyTextException {
      // xen-cpuid counts the all-zero leaves it does not print, so fewer lines than N is normal.
      if (leafLines.size() > declaredLeaves) {
        throw new PolicyTextException(headerLine, "block \"" + name + "\" says " + declaredLeaves
            + " leaves but lists " + leafLines.size());
      }
      if (msrLines.size() != declaredMsrs) {
        throw new PolicyTextException(headerLine, "block \"" + name + "\" says " + declaredMsrs
            + " MSRs but lists " + msrLines.size());
      }
      blocks.add(new NamedPolicy(name, builder.build()));
    }

    private static PolicyTextException expected(int n, String what, String found) {
      return new PolicyTextException(n, "expected " + what + ", found " + (found == null ? "end of text" : quote(found)));
    }

    private static String quote(String s) {
      String shown = s.length() > 100 ? s.substring(0, 100) + "..." : s;
      StringBuilder b = new StringBuilder("\"");
      shown.chars().forEach(c -> b.append(c < 0x20 || c == 0x7F ? '?' : (char) c));
      return b.append('"').toString();
    }

    private static long hex(String h) {
      return Long.parseLong(h, 16);
    }
  }
}
