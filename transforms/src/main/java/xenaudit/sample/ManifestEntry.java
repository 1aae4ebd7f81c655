package xenaudit.sample;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import xenaudit.format.Container;
import xenaudit.format.CpuidLeaf;
import xenaudit.format.FindingCode;
import xenaudit.format.MsrEntry;

/**
 * One line of {@code manifest.jsonl}: the truth about one sample image, for checking a reader.
 *
 * @param file name relative to the fleet directory
 * @param container xl, libxl, libxc or libvirt (what was written; null for inputs that are none)
 * @param streamVersion libxc stream version, or 0 when the image has none
 * @param guestType {@code x86_hvm} / {@code x86_pv}, or null
 * @param xenVersion "major.minor" of the domain header, or null
 * @param guestName name from the container's config (null for bare libxl/libxc streams)
 * @param guestUuid uuid from the container's config
 * @param configType guest type the config declares in libxl terms (hvm, pv, pvh), or null
 * @param cpuid the X86_CPUID_POLICY leaves (empty for v2)
 * @param msr the X86_MSR_POLICY entries (empty for v2)
 * @param pages data-carrying PAGE_DATA entries in the image
 * @param sizeBytes file size
 * @param expectedStatus {@code valid} or {@code invalid}
 * @param expectedCodes finding codes that must be reported (for valid images: the warning and info
 *     codes expected, if any)
 * @param corruption null for a clean fleet image, else the corruption class name
 */
public record ManifestEntry(
    String file,
    String container,
    int streamVersion,
    String guestType,
    String xenVersion,
    String guestName,
    String guestUuid,
    String configType,
    List<CpuidLeaf> cpuid,
    List<MsrEntry> msr,
    long pages,
    long sizeBytes,
    String expectedStatus,
    List<FindingCode> expectedCodes,
    String corruption) {

  public ManifestEntry {
    cpuid = List.copyOf(cpuid);
    msr = List.copyOf(msr);
    expectedCodes = List.copyOf(expectedCodes);
  }

  /** The truth for a valid image of {@code spec} as written. */
  public static ManifestEntry of(String file, GuestSpec spec, WrittenImage w) {
    boolean config = spec.container() == Container.XL || spec.container() == Container.LIBVIRT;
    // Only an xl JSON config carries b_info.cpuid, and only a v3 stream a policy to compare it with.
    boolean requestNotMet = spec.variations().contains(CpuidProfiles.Variation.HLE_REQUEST_IGNORED)
        && spec.container() == Container.XL && spec.streamVersion() == 3;
    return new ManifestEntry(file, spec.container().label(), spec.streamVersion(), spec.guestType().label(),
        spec.xenVersion(), config ? spec.name() : null, config ? spec.uuid() : null,
        config ? spec.kind().label() : null, GuestImageWriter.cpuidPolicy(spec), GuestImageWriter.msrPolicy(spec),
        w.pages(), w.size(), "valid", requestNotMet ? List.of(FindingCode.CPUID_REQUEST_NOT_MET) : List.of(), null);
  }

  public boolean valid() {
    return expectedStatus.equals("valid");
  }

  public ManifestEntry withExpected(boolean valid, List<FindingCode> codes, String corruptionClass) {
    return new ManifestEntry(file, container, streamVersion, guestType, xenVersion, guestName, guestUuid, configType,
        cpuid, msr, pages, sizeBytes, valid ? "valid" : "invalid", codes, corruptionClass);
  }

  public ManifestEntry withSize(long size, long dataPages) {
    return new ManifestEntry(file, container, streamVersion, guestType, xenVersion, guestName, guestUuid, configType,
        cpuid, msr, dataPages, size, expectedStatus, expectedCodes, corruption);
  }

  public ManifestEntry withConfig(String name, String uuid, String type) {
    return new ManifestEntry(file, container, streamVersion, guestType, xenVersion, name, uuid, type, cpuid, msr,
        pages, sizeBytes, expectedStatus, expectedCodes, corruption);
  }

  public ManifestEntry withPolicies(List<CpuidLeaf> c, List<MsrEntry> m) {
    return new ManifestEntry(file, container, streamVersion, guestType, xenVersion, guestName, guestUuid, configType,
        c, m, pages, sizeBytes, expectedStatus, expectedCodes, corruption);
  }

  public ManifestEntry withStream(String containerLabel, int version, String guest, String xen) {
    return new ManifestEntry(file, containerLabel, version, guest, xen, guestName, guestUuid, configType, cpuid, msr,
        pages, sizeBytes, expectedStatus, expectedCodes, corruption);
  }

  /** The JSON object of the manifest line; every number unsigned. */
  public ObjectNode toJson() {
    JsonNodeFactory f = JsonNodeFactory.instance;
    ObjectNode o = f.objectNode();
    o.put("file", file);
    o.put("container", container);
    o.put("stream_version", streamVersion);
    o.put("guest_type", guestType);
    o.put("xen_version", xenVersion);
    o.put("guest_name", guestName);
    o.put("guest_uuid", guestUuid);
    o.put("config_type", configType);
    ArrayNode c = o.putArray("cpuid");
    for (CpuidLeaf l : cpuid) {
      c.addArray().add(l.uLeaf()).add(l.uSubleaf()).add(l.uEax()).add(l.uEbx()).add(l.uEcx()).add(l.uEdx());
    }
    ArrayNode m = o.putArray("msr");
    for (MsrEntry e : msr) {
      m.addArray().add(e.uIndex()).add(e.uFlags()).add(unsigned(e.value()));
    }
    o.put("pages", pages);
    o.put("size_bytes", sizeBytes);
    o.put("expected_status", expectedStatus);
    ArrayNode codes = o.putArray("expected_codes");
    expectedCodes.forEach(x -> codes.add(x.name()));
    o.put("corruption", corruption);
    return o;
  }

  /** Parses a manifest line written by {@link #toJson}. */
  public static ManifestEntry fromJson(JsonNode o) {
    List<CpuidLeaf> c = new ArrayList<>();
    for (JsonNode l : o.path("cpuid")) {
      c.add(new CpuidLeaf((int) l.get(0).asLong(), (int) l.get(1).asLong(), (int) l.get(2).asLong(),
          (int) l.get(3).asLong(), (int) l.get(4).asLong(), (int) l.get(5).asLong()));
    }
    List<MsrEntry> m = new ArrayList<>();
    for (JsonNode e : o.path("msr")) {
      m.add(new MsrEntry((int) e.get(0).asLong(), (int) e.get(1).asLong(), e.get(2).bigIntegerValue().longValue()));
    }
    List<FindingCode> codes = new ArrayList<>();
    for (JsonNode x : o.path("expected_codes")) {
      codes.add(FindingCode.valueOf(x.asText()));
    }
    return new ManifestEntry(text(o, "file"), text(o, "container"), o.path("stream_version").asInt(),
        text(o, "guest_type"), text(o, "xen_version"), text(o, "guest_name"), text(o, "guest_uuid"),
        text(o, "config_type"), c, m, o.path("pages").asLong(), o.path("size_bytes").asLong(),
        text(o, "expected_status"), codes, text(o, "corruption"));
  }

  /** One manifest line. */
  public String toJsonLine(ObjectMapper mapper) {
    try {
      return mapper.writeValueAsString(toJson());
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String text(JsonNode o, String k) {
    JsonNode n = o.get(k);
    return n == null || n.isNull() ? null : n.asText();
  }

  static BigInteger unsigned(long v) {
    BigInteger b = BigInteger.valueOf(v);
    return v < 0 ? b.add(BigInteger.ONE.shiftLeft(64)) : b;
  }
}
