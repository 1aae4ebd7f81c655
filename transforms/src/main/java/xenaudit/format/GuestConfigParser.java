package xenaudit.format;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Takes guest identity and requested policy out of the configuration stored with an image.
 *
 * <p>xl JSON is {@code libxl_domain_config}: {@code c_info.name}, {@code c_info.uuid} (lowercase
 * 8-4-4-4-12), {@code c_info.type} ("hvm" | "pv" | "pvh"), {@code b_info.max_vcpus}, and {@code
 * b_info.cpuid}: an array of CPUID tweaks (Xen up to 4.17) or an object {@code {"cpuid": [...],
 * "msr": [...]}} (4.18+). Fields left at their default are absent.
 *
 * <p>libvirt XML is read with patterns, not an XML parser: no DTD, no entity is ever expanded.
 */
final class GuestConfigParser {
  /**
   * A libxl config nests about six deep and names things in a few bytes; the limits stop a hostile
   * one (within the size cap) from costing stack or heap: past them it is XL_CONFIG_INVALID.
   */
  private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder()
          .maxNestingDepth(64).maxStringLength(1 << 20).maxNumberLength(64).build())
      .build());
  private static final Pattern TEXT_NAME = Pattern.compile("(?m)^\\s*name\\s*=\\s*[\"']([^\"'\\n]*)[\"']");
  private static final Pattern TEXT_UUID = Pattern.compile("(?m)^\\s*uuid\\s*=\\s*[\"']([^\"'\\n]*)[\"']");
  private static final Pattern TEXT_TYPE = Pattern.compile("(?m)^\\s*(?:type|builder)\\s*=\\s*[\"']([^\"'\\n]*)[\"']");
  private static final Pattern TEXT_VCPUS = Pattern.compile("(?m)^\\s*(?:maxvcpus|vcpus)\\s*=\\s*(\\d{1,9})");
  private static final Pattern XML_NAME = Pattern.compile("<name>\\s*([^<]*?)\\s*</name>");
  private static final Pattern XML_UUID = Pattern.compile("<uuid>\\s*([^<]*?)\\s*</uuid>");
  private static final Pattern XML_OS_TYPE = Pattern.compile("<os>\\s*<type[^>]*>\\s*([a-zA-Z]+)\\s*</type>");
  private static final Pattern XML_VCPUS = Pattern.compile("<vcpu[^>]*>\\s*(\\d{1,9})\\s*</vcpu>");

  private GuestConfigParser() {}

  /** Parses xl JSON (without its trailing NUL). */
  static GuestConfig json(byte[] text, int length) throws JsonProcessingException {
    JsonNode root = JSON.readTree(new String(text, 0, length, StandardCharsets.UTF_8));
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("the config is not a JSON object");
    }
    JsonNode cInfo = root.path("c_info");
    JsonNode bInfo = root.path("b_info");
    JsonNode cpuid = bInfo.get("cpuid");
    JsonNode cpuidRequest = cpuid;
    JsonNode msrRequest = null;
    if (cpuid != null && cpuid.isObject()) {
      cpuidRequest = cpuid.get("cpuid");
      msrRequest = cpuid.get("msr");
    }
    JsonNode maxVcpus = bInfo.get("max_vcpus");
    return new GuestConfig(
        text(cInfo.get("name")),
        uuid(text(cInfo.get("uuid"))),
        lower(text(cInfo.get("type"))),
        maxVcpus != null && maxVcpus.canConvertToLong() ? maxVcpus.asLong() : -1,
        cpuidRequest,
        msrRequest);
  }

  /** Best-effort read of xl config-file text (old xl without the JSON flag). */
  static GuestConfig text(byte[] text, int length) {
    String s = new String(text, 0, length, StandardCharsets.UTF_8);
    return new GuestConfig(
        group(TEXT_NAME, s), uuid(group(TEXT_UUID, s)), lower(group(TEXT_TYPE, s)), number(TEXT_VCPUS, s), null, null);
  }

  /** Best-effort read of libvirt domain XML: name, uuid, os type, vcpu count. */
  static GuestConfig libvirtXml(byte[] text, int length) {
    String s = new String(text, 0, length, StandardCharsets.UTF_8);
    String type = lower(group(XML_OS_TYPE, s));
    if ("linux".equals(type) || "xen".equals(type)) {
      type = "pv"; // libvirt's names for a PV guest
    } else if ("xenpvh".equals(type)) {
      type = "pvh";
    }
    return new GuestConfig(group(XML_NAME, s), uuid(group(XML_UUID, s)), type, number(XML_VCPUS, s), null, null);
  }

  private static String text(JsonNode n) {
    return n != null && n.isTextual() ? n.asText() : null;
  }

  private static String lower(String s) {
    return s == null ? null : s.toLowerCase(Locale.ROOT);
  }

  private static String uuid(String s) {
    return s == null || s.isBlank() ? null : s.trim().toLowerCase(Locale.ROOT);
  }

  private static String group(Pattern p, String s) {
    Matcher m = p.matcher(s);
    return m.find() ? m.group(1) : null;
  }

  private static long number(Pattern p, String s) {
    String g = group(p, s);
    return g == null ? -1 : Long.parseLong(g);
  }
}
