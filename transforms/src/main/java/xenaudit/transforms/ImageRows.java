package xenaudit.transforms;

import java.util.ArrayList;
import java.util.List;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import xenaudit.format.CpuidLeaf;
import xenaudit.format.Finding;
import xenaudit.format.ImageReport;
import xenaudit.format.MsrEntry;

/** Turns one {@link ImageReport} into rows of the four {@link AuditTables}. */
public final class ImageRows {
  private ImageRows() {}

  /** The key that joins all tables: uuid from the config, else name, else the source URI. */
  public static String guestId(ImageReport r, String sourceUri) {
    if (r.guestUuid() != null && !r.guestUuid().isEmpty()) {
      return r.guestUuid();
    }
    if (r.guestName() != null && !r.guestName().isEmpty()) {
      return r.guestName();
    }
    return sourceUri;
  }

  /**
   * @param sizeBytes the object's size as listed (compressed size for compressed objects), or -1
   */
  public static GenericRecord stream(ImageReport r, String sourceUri, long sizeBytes, String runId) {
    GenericRecord g = new GenericData.Record(AuditTables.schema(AuditTables.STREAMS));
    g.put("source_uri", sourceUri);
    g.put("size_bytes", sizeBytes >= 0 ? sizeBytes : r.sizeBytes() >= 0 ? r.sizeBytes() : null);
    g.put("container", r.container().label());
    g.put("stream_version", r.streamVersion() > 0 ? (long) r.streamVersion() : null);
    g.put("guest_type", r.guestType() == null ? null : r.guestType().label());
    g.put("xen_major", r.xenMajor() >= 0 ? r.xenMajor() : null);
    g.put("xen_minor", r.xenMinor() >= 0 ? r.xenMinor() : null);
    g.put("guest_name", r.guestName());
    g.put("guest_uuid", r.guestUuid());
    g.put("guest_id", guestId(r, sourceUri));
    g.put("status", r.status().label());
    g.put("error_count", r.errorCount());
    g.put("warning_count", r.warningCount());
    g.put("record_count", r.records());
    g.put("page_count", r.pages());
    g.put("cpuid_leaf_count", (long) r.cpuid().size());
    g.put("msr_count", (long) r.msr().size());
    g.put("bytes_read", r.bytesRead());
    g.put("audit_run_id", runId);
    return g;
  }

  public static List<GenericRecord> cpuid(ImageReport r, String sourceUri) {
    String id = guestId(r, sourceUri);
    List<GenericRecord> rows = new ArrayList<>(r.cpuid().size());
    for (CpuidLeaf l : r.cpuid()) {
      GenericRecord g = new GenericData.Record(AuditTables.schema(AuditTables.CPUID_POLICY));
      g.put("guest_id", id);
      g.put("source_uri", sourceUri);
      g.put("leaf", l.uLeaf());
      g.put("subleaf", l.uSubleaf());
      g.put("eax", l.uEax());
      g.put("ebx", l.uEbx());
      g.put("ecx", l.uEcx());
      g.put("edx", l.uEdx());
      rows.add(g);
    }
    return rows;
  }

  public static List<GenericRecord> msr(ImageReport r, String sourceUri) {
    String id = guestId(r, sourceUri);
    List<GenericRecord> rows = new ArrayList<>(r.msr().size());
    for (MsrEntry m : r.msr()) {
      GenericRecord g = new GenericData.Record(AuditTables.schema(AuditTables.MSR_POLICY));
      g.put("guest_id", id);
      g.put("source_uri", sourceUri);
      g.put("msr_index", m.uIndex());
      g.put("flags", m.uFlags());
      g.put("value", m.value());
      g.put("value_hex", m.valueHex());
      rows.add(g);
    }
    return rows;
  }

  public static List<GenericRecord> findings(ImageReport r, String sourceUri) {
    String id = guestId(r, sourceUri);
    List<GenericRecord> rows = new ArrayList<>(r.findings().size());
    for (Finding f : r.findings()) {
      GenericRecord g = new GenericData.Record(AuditTables.schema(AuditTables.FINDINGS));
      g.put("guest_id", id);
      g.put("source_uri", sourceUri);
      g.put("severity", f.severity().label());
      g.put("code", f.code().name());
      g.put("message", f.message());
      g.put("byte_offset", f.offset());
      g.put("record_index", f.recordIndex() >= 0 ? f.recordIndex() : null);
      g.put("record_type", f.recordType());
      g.put("layer", f.layer().label());
      rows.add(g);
    }
    return rows;
  }
}
