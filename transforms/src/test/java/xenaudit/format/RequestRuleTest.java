package xenaudit.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static xenaudit.format.FindingCode.CPUID_REQUEST_NOT_MET;
import static xenaudit.format.FindingCode.MSR_REQUEST_NOT_MET;
import static xenaudit.format.FindingCode.POLICY_REQUEST_INVALID;
import static xenaudit.format.RuleImages.check;
import static xenaudit.format.RuleImages.spec;
import static xenaudit.format.Severity.WARNING;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import xenaudit.sample.GuestImageWriter;
import xenaudit.sample.GuestSpec;

/**
 * Requested vs effective policy: the xl JSON config's b_info.cpuid (both forms) against the
 * stream's policy, for the rule tests' Xen 4.19 Cascade Lake HVM guest (MD_CLEAR, PAGE1GB and
 * TAA_NO on; HLE, RTM and RFDS_NO off). Findings are warnings, located at the config.
 */
class RequestRuleTest {
  static final int CONFIG_AT = XlContainerRuleTest.CONFIG_AT;
  static final ObjectMapper JSON = new ObjectMapper();
  static final String ANY = "x".repeat(32);

  /** The guest's config with {@code b_info.cpuid} set to {@code request} (JSON text). */
  static byte[] config(GuestSpec spec, String request) {
    try {
      ObjectNode root = (ObjectNode) JSON.readTree(GuestImageWriter.xlConfigText(spec));
      ((ObjectNode) root.get("b_info")).set("cpuid", JSON.readTree(request));
      return (root.toString() + "\0").getBytes(StandardCharsets.UTF_8);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static RuleImages.Image image(String request) {
    return XlContainerRuleTest.xlWithConfig(XlContainerRuleTest.V2_JSON, config(XlContainerRuleTest.HVM, request))
        .write();
  }

  /** A 32-character mask asking for nothing but these bits ('1' or '0' at bit {@code bits[k]}). */
  static String mask(int width, Object... bitsAndWants) {
    char[] m = "x".repeat(width).toCharArray();
    for (int k = 0; k < bitsAndWants.length; k += 2) {
      m[width - 1 - (Integer) bitsAndWants[k]] = (Character) bitsAndWants[k + 1];
    }
    return new String(m);
  }

  static List<String> messages(RuleImages.Check c, FindingCode code) {
    return c.of(code).stream().map(Finding::message).collect(Collectors.toList());
  }

  @Test
  void cpuidRequestNotMet() {
    // Xen <= 4.17 form: HLE (7:0 ebx bit 4) forced on, MD_CLEAR (7:0 edx bit 10) forced off.
    RuleImages.Check c = check(image("[{\"leaf\": 7, \"subleaf\": 0, \"ebx\": \"" + mask(32, 4, '1')
        + "\", \"edx\": \"" + mask(32, 10, '0') + "\"}]"));
    c.has(WARNING, CPUID_REQUEST_NOT_MET, CONFIG_AT, -1, "xl_optional_data", Layer.XL).count(CPUID_REQUEST_NOT_MET, 2)
        .valid();
    assertEquals(List.of("hle (leaf 0x7:0 ebx bit 4): requested 1 (forced on), found 0",
        "md_clear (leaf 0x7:0 edx bit 10): requested 0 (forced off), found 1"), messages(c, CPUID_REQUEST_NOT_MET));

    // json-c writes leaf 0x80000001 as a negative int32: PAGE1GB (edx bit 26) forced off, but present.
    c = check(image("[{\"leaf\": -2147483647, \"edx\": \"" + mask(32, 26, '0') + "\"}]"));
    assertEquals(List.of("page1gb (leaf 0x80000001 edx bit 26): requested 0 (forced off), found 1"),
        messages(c, CPUID_REQUEST_NOT_MET));
    // A bit no feature names, past the max basic leaf (0x15 > 0xD): reads as 0.
    c = check(image("[{\"leaf\": 21, \"eax\": \"" + mask(32, 3, '1') + "\"}]"));
    assertEquals(List.of("leaf 0x15 eax bit 3: requested 1 (forced on), found 0"), messages(c, CPUID_REQUEST_NOT_MET));

    // Met: what the guest has forced on, what it lacks forced off, 'x', 'k' and 's' ask for nothing.
    check(image("[{\"leaf\": 7, \"subleaf\": 0, \"ebx\": \"" + mask(32, 4, '0', 11, '0', 0, 'k', 1, 's')
        + "\", \"edx\": \"" + mask(32, 10, '1') + "\"}, {\"leaf\": 1, \"ecx\": \"" + ANY + "\"}]"))
        .lacks(CPUID_REQUEST_NOT_MET, POLICY_REQUEST_INVALID).clean();
  }

  @Test
  void msrRequestNotMet() {
    // Xen 4.18+ form: RFDS_NO (ARCH_CAPS bit 27) forced on, TAA_NO (bit 8) forced off.
    String both = "{\"cpuid\": [], \"msr\": [{\"index\": 266, \"policy\": \"" + mask(64, 27, '1', 8, '0') + "\"}]}";
    RuleImages.Check c = check(image(both));
    c.has(WARNING, MSR_REQUEST_NOT_MET, CONFIG_AT, -1, "xl_optional_data", Layer.XL).count(MSR_REQUEST_NOT_MET, 2)
        .lacks(CPUID_REQUEST_NOT_MET).valid();
    assertEquals(List.of("taa_no (MSR 0x10a bit 8): requested 0 (forced off), found 1",
        "rfds_no (MSR 0x10a bit 27): requested 1 (forced on), found 0"), messages(c, MSR_REQUEST_NOT_MET).stream()
        .sorted((a, b) -> a.startsWith("taa") ? -1 : 1).collect(Collectors.toList()));

    check(image("{\"cpuid\": [], \"msr\": [{\"index\": 266, \"policy\": \"" + mask(64, 8, '1', 27, '0') + "\"}]}"))
        .lacks(MSR_REQUEST_NOT_MET, POLICY_REQUEST_INVALID).clean();
  }

  @Test
  void policyRequestInvalid() {
    RuleImages.Check c = check(image("[{\"leaf\": 7, \"subleaf\": 0, \"ebx\": \"x1\"}, {\"leaf\": \"seven\"},"
        + " {\"leaf\": 1, \"esp\": \"" + ANY + "\"}, {\"leaf\": 7, \"subleaf\": 0, \"ebx\": \"" + mask(32, 4, '1')
        + "\"}]"));
    c.has(WARNING, POLICY_REQUEST_INVALID, CONFIG_AT, -1, "xl_optional_data", Layer.XL)
        .count(POLICY_REQUEST_INVALID, 3).count(CPUID_REQUEST_NOT_MET, 1).valid();
    assertTrue(messages(c, POLICY_REQUEST_INVALID).get(0).contains("ebx = \"x1\""), c.describe());
    check(image("\"host,tm=0\"")).has(WARNING, POLICY_REQUEST_INVALID, CONFIG_AT, -1, "xl_optional_data", Layer.XL)
        .valid();
    check(image("{\"cpuid\": [], \"msr\": [{\"index\": 266, \"policy\": 5}]}"))
        .has(WARNING, POLICY_REQUEST_INVALID, CONFIG_AT, -1, "xl_optional_data", Layer.XL).valid();

    check(image("[{\"leaf\": 7, \"subleaf\": 0, \"ebx\": \"" + ANY + "\"}]")).lacks(POLICY_REQUEST_INVALID).clean();
  }

  @Test
  void aStreamWithoutAPolicyHasNothingToCompare() {
    GuestSpec v2 = spec(GuestSpec.Kind.HVM).withXen(4, 13);
    byte[] config = config(v2, "[{\"leaf\": 7, \"subleaf\": 0, \"ebx\": \"" + mask(32, 4, '1') + "\"}]");
    RuleImages.Image img = RuleImages.plan(v2).replaceHeader(xenaudit.sample.ImagePlan.XL, w -> {
      w.xlHeader(xenaudit.sample.StreamWriter.XL_MAGIC, xenaudit.sample.StreamWriter.XL_BYTE_ORDER, XlContainerRuleTest.V2_JSON, 0, 4L + config.length);
      w.xlOptionalData(config.length, config, new byte[0]);
    }).write();
    check(img).lacks(CPUID_REQUEST_NOT_MET, POLICY_REQUEST_INVALID).clean();
  }
}
