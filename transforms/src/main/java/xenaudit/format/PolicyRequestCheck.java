package xenaudit.format;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Requested vs effective policy: what the xl JSON config's {@code b_info.cpuid} asks for (the
 * guest's {@code cpuid=} line) against the policy the stream carries.
 *
 * <p>Two forms: Xen up to 4.17 stores an array of leaf requests; 4.18+ an object {@code {"cpuid":
 * [...], "msr": [...]}} (split by {@link GuestConfigParser}).
 *
 * <pre>
 * CPUID request  {"leaf": N, "subleaf": N (absent: no subleaf), "eax": MASK, "ebx": ..., "edx": ...}
 * MSR request    {"index": N, "policy": MASK}
 * MASK           one character per bit, most significant first: CPUID 32 characters (character j
 *                is bit 31-j), MSR 64 (character i is bit 63-i; 32 = the low half)
 *                '1' force on, '0' force off, 'x' 'k' 's' ask for nothing
 * </pre>
 *
 * json-c (Xen 4.21+) writes numbers as signed 32-bit: leaf 0x80000001 arrives as -2147483647, so
 * every number is taken modulo 2^32.
 *
 * <p>Effective bit: the leaf's bit; a leaf past the policy's max leaf (leaf 0 eax for basic leaves,
 * 0x80000000 eax for extended ones, 7:0 eax for leaf-7 subleaves) reads as 0, as Xen returns it;
 * a leaf the record lacks inside that range reads as 0 too (the guest cannot see a bit there). An
 * MSR the policy lacks reads as 0. Requests are compared only with a policy record of their kind
 * (v3 streams); the check never throws: a malformed request is a warning.
 */
final class PolicyRequestCheck {
  /** Requests compared at most; a config is capped in size, this bounds the work on top. */
  static final int MAX_REQUESTS = 1024;

  private static final List<String> REGISTERS = List.of("eax", "ebx", "ecx", "edx");
  private static final long NO_SUBLEAF = 0xFFFFFFFFL;
  private static final Map<String, String> FEATURE_AT = new HashMap<>();

  static {
    for (CpuFeature f : CpuFeature.all()) {
      String name = f.name().toLowerCase(Locale.ROOT);
      if (f.msr()) {
        FEATURE_AT.put(msrKey(f.leafOrMsr(), f.msrBit()), name);
      } else {
        FEATURE_AT.put(cpuidKey(f.leafOrMsr(), Integer.toUnsignedLong(f.subleaf()), f.register(), f.bit()), name);
      }
    }
  }

  private final ImageReport report;
  private final Map<Long, int[]> leaves = new HashMap<>();
  private final Map<Long, Long> msrs = new HashMap<>();
  private int compared;

  private PolicyRequestCheck(ImageReport report) {
    this.report = report;
    for (CpuidLeaf l : report.cpuid()) {
      leaves.put(l.uLeaf() << 32 | l.uSubleaf(), new int[] {l.eax(), l.ebx(), l.ecx(), l.edx()});
    }
    for (MsrEntry m : report.msr()) {
      msrs.put(m.uIndex(), m.value());
    }
  }

  static void check(ImageReport report) {
    GuestConfig c = report.config();
    if (c.cpuidRequest() == null && c.msrRequest() == null) {
      return;
    }
    PolicyRequestCheck check = new PolicyRequestCheck(report);
    try {
      if (c.cpuidRequest() != null && report.cpuid != null) {
        check.cpuid(c.cpuidRequest());
      }
      if (c.msrRequest() != null && report.msr != null) {
        check.msr(c.msrRequest());
      }
    } catch (RuntimeException e) {
      check.invalid("the request could not be compared: " + e);
    }
  }

  private void cpuid(JsonNode request) {
    if (!request.isArray()) {
      invalid("b_info.cpuid is " + kind(request) + ", not a list of leaf requests");
      return;
    }
    for (int i = 0; i < request.size(); i++) {
      JsonNode r = request.get(i);
      if (!r.isObject()) {
        invalid("cpuid request " + i + " is " + kind(r) + ", not {\"leaf\": ..., \"eax\": ...}");
        continue;
      }
      Long leaf = u32(r.get("leaf"));
      JsonNode sub = r.get("subleaf");
      Long subleaf = sub == null || sub.isNull() ? (Long) NO_SUBLEAF : u32(sub);
      if (leaf == null || subleaf == null) {
        invalid("cpuid request " + i + " has no integer leaf/subleaf: " + clip(r));
        continue;
      }
      for (Map.Entry<String, JsonNode> e : (Iterable<Map.Entry<String, JsonNode>>) r::fields) {
        String field = e.getKey();
        if (field.equals("leaf") || field.equals("subleaf")) {
          continue;
        }
        int reg = REGISTERS.indexOf(field);
        String mask = e.getValue().isTextual() ? e.getValue().asText() : null;
        if (reg < 0 || mask == null || !valid(mask, 32)) {
          invalid("cpuid request " + i + " (leaf " + leafName(leaf, subleaf) + "): " + field + " = " + clip(e.getValue())
              + " is not a register with a 32-character mask of 0, 1, x, k, s");
          continue;
        }
        if (++compared > MAX_REQUESTS) {
          invalid("more than " + MAX_REQUESTS + " register requests; the rest are not compared");
          return;
        }
        long found = effective(leaf, subleaf, reg);
        for (int j = 0; j < 32; j++) {
          char want = mask.charAt(j);
          int bit = 31 - j;
          long got = found >>> bit & 1;
          if ((want == '1' && got == 0) || (want == '0' && got == 1)) {
            String where = "leaf " + leafName(leaf, subleaf) + " " + field + " bit " + bit;
            String name = FEATURE_AT.get(cpuidKey(leaf, subleaf, field, bit));
            notMet(FindingCode.CPUID_REQUEST_NOT_MET, name == null ? where : name + " (" + where + ")", want, got);
          }
        }
      }
    }
  }

  private void msr(JsonNode request) {
    if (!request.isArray()) {
      invalid("b_info.cpuid.msr is " + kind(request) + ", not a list of MSR requests");
      return;
    }
    for (int i = 0; i < request.size(); i++) {
      JsonNode r = request.get(i);
      Long index = r.isObject() ? u32(r.get("index")) : null;
      JsonNode p = r.isObject() ? r.get("policy") : null;
      String mask = p != null && p.isTextual() ? p.asText() : null;
      if (index == null || mask == null || !(valid(mask, 64) || valid(mask, 32))) {
        invalid("msr request " + i + " is not {\"index\": N, \"policy\": a 64-character mask of 0, 1, x, k, s}: "
            + clip(r));
        continue;
      }
      if (++compared > MAX_REQUESTS) {
        invalid("more than " + MAX_REQUESTS + " register requests; the rest are not compared");
        return;
      }
      long found = msrs.getOrDefault(index, 0L);
      int width = mask.length();
      for (int j = 0; j < width; j++) {
        char want = mask.charAt(j);
        int bit = width - 1 - j;
        long got = found >>> bit & 1;
        if ((want == '1' && got == 0) || (want == '0' && got == 1)) {
          String where = String.format("MSR 0x%x bit %d", index, bit);
          String name = FEATURE_AT.get(msrKey(index, bit));
          notMet(FindingCode.MSR_REQUEST_NOT_MET, name == null ? where : name + " (" + where + ")", want, got);
        }
      }
    }
  }

  /** The register as the guest reads it: zeros past the max leaf and for leaves the record lacks. */
  private long effective(long leaf, long subleaf, int reg) {
    if (pastMax(leaf, subleaf)) {
      return 0;
    }
    int[] r = leaves.get(leaf << 32 | subleaf);
    return r == null ? 0 : Integer.toUnsignedLong(r[reg]);
  }

  private boolean pastMax(long leaf, long subleaf) {
    if (leaf >= 0x80000000L) {
      int[] max = leaves.get(0x80000000L << 32 | NO_SUBLEAF);
      return max != null && leaf > Integer.toUnsignedLong(max[0]);
    }
    if (leaf < 0x40000000L) {
      int[] max = leaves.get(NO_SUBLEAF);
      if (max != null && leaf > Integer.toUnsignedLong(max[0])) {
        return true;
      }
      int[] max7 = leaves.get(7L << 32);
      return leaf == 7 && subleaf != NO_SUBLEAF && max7 != null && subleaf > Integer.toUnsignedLong(max7[0]);
    }
    return false;
  }

  private void notMet(FindingCode code, String what, char want, long got) {
    report.add(new Finding(code, what + ": requested " + want + (want == '1' ? " (forced on)" : " (forced off)")
        + ", found " + got, report.configOffset, -1, "xl_optional_data", Layer.XL));
  }

  private void invalid(String message) {
    report.add(new Finding(FindingCode.POLICY_REQUEST_INVALID, message, report.configOffset, -1, "xl_optional_data",
        Layer.XL));
  }

  private static boolean valid(String mask, int length) {
    if (mask.length() != length) {
      return false;
    }
    for (int i = 0; i < length; i++) {
      if ("01xks".indexOf(mask.charAt(i)) < 0) {
        return false;
      }
    }
    return true;
  }

  /** An integer modulo 2^32 (json-c writes u32 values as signed), or null. */
  private static Long u32(JsonNode n) {
    if (n == null || !n.isIntegralNumber() || !n.canConvertToLong()) {
      return null;
    }
    long v = n.asLong();
    return v < Integer.MIN_VALUE || v > 0xFFFFFFFFL ? null : v & 0xFFFFFFFFL;
  }

  private static String leafName(long leaf, long subleaf) {
    return subleaf == NO_SUBLEAF ? String.format("0x%x", leaf) : String.format("0x%x:%d", leaf, subleaf);
  }

  private static String cpuidKey(long leaf, long subleaf, String register, int bit) {
    return leaf + "/" + subleaf + "/" + register + "/" + bit;
  }

  private static String msrKey(long index, int bit) {
    return "msr/" + index + "/" + bit;
  }

  private static String kind(JsonNode n) {
    return n.isObject() ? "an object" : n.isArray() ? "a list" : n.isTextual() ? "a string" : n.getNodeType().toString()
        .toLowerCase(Locale.ROOT);
  }

  private static String clip(JsonNode n) {
    String s = n.toString();
    return s.length() > 80 ? s.substring(0, 77) + "..." : s;
  }
}
