package xenaudit.format;

import java.util.Objects;

/**
 * One located problem or fact about an image.
 *
 * @param offset byte offset from the start of the (uncompressed) input where the offending
 *     structure starts
 * @param recordIndex index of the record within its layer's stream (libxl and libxc count
 *     separately, from 0), or -1 for headers and the container
 * @param recordType the record type name (e.g. {@code X86_CPUID_POLICY}, {@code 0x80000013} for
 *     unknown ones), or the header name ({@code xl_header}, {@code image_header}, ...)
 */
public record Finding(
    FindingCode code, String message, long offset, long recordIndex, String recordType, Layer layer) {

  public Finding {
    Objects.requireNonNull(code, "code");
    Objects.requireNonNull(message, "message");
    Objects.requireNonNull(recordType, "recordType");
    Objects.requireNonNull(layer, "layer");
  }

  public Severity severity() {
    return code.severity();
  }

  @Override
  public String toString() {
    String where = recordIndex >= 0 ? " record " + recordIndex : "";
    return String.format(
        "%-7s %s @%d %s%s %s: %s",
        severity().label(), code, offset, layer.label(), where, recordType, message);
  }
}
