package xenaudit.format;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What the audit takes from the guest configuration stored with the image (xl JSON config, xl
 * config text, or libvirt domain XML). Any field may be null when the container does not carry it.
 *
 * @param type libxl domain type as written in the config: {@code hvm}, {@code pv} or {@code pvh}
 * @param maxVcpus {@code b_info.max_vcpus}, or -1
 * @param cpuidRequest {@code b_info.cpuid} exactly as the config has it (the requested policy)
 * @param msrRequest the requested MSR policy, where the config has one
 */
public record GuestConfig(
    String name, String uuid, String type, long maxVcpus, JsonNode cpuidRequest, JsonNode msrRequest) {

  static final GuestConfig NONE = new GuestConfig(null, null, null, -1, null, null);
}
