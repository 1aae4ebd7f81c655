package xenaudit.transforms;

import java.io.IOException;
import java.util.List;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.util.Utf8;
import xenaudit.format.CpuFeature;
import xenaudit.format.CpuidLeaf;
import xenaudit.format.Finding;
import xenaudit.format.ImageReport;
import xenaudit.format.MsrEntry;
import xenaudit.policy.Assessment;
import xenaudit.policy.CpuPolicy;
import xenaudit.policy.Features;
import xenaudit.policy.GuestSecurity;
import xenaudit.policy.MigrationCheck;
import xenaudit.policy.SecurityFeatures;
import xenaudit.policy.SecurityIssue;

/** Writes the rows of one audited image ({@link ImageAnalysis}) into the per-stream tables. */
final class ImageRows {
  private ImageRows() {}

  /** The key that joins all tables: uuid from the config, else name, else the source URI. */
  static String guestId(ImageReport r, String sourceUri) {
    if (r.guestUuid() != null && !r.guestUuid().isEmpty()) {
      return r.guestUuid();
    }
    if (r.guestName() != null && !r.guestName().isEmpty()) {
      return r.guestName();
    }
    return sourceUri;
  }

  static void write(TableFiles out, ImageAnalysis a, String runId) throws IOException {
    stream(out, a, runId);
    cpuid(out, a);
    msr(out, a);
    findings(out, a);
    features(out, a);
    security(out, a);
    if (a.migration() != null) {
      migration(out, a);
    }
  }

  private static void stream(TableFiles out, ImageAnalysis a, String runId) throws IOException {
    ImageReport r = a.report();
    GenericRecord g = out.row(AuditTables.STREAMS);
    g.put("source_uri", a.uri());
    g.put("size_bytes", a.sizeBytes() >= 0 ? a.sizeBytes() : r.sizeBytes() >= 0 ? r.sizeBytes() : null);
    g.put("container", r.container().label());
    g.put("stream_version", r.streamVersion() > 0 ? (long) r.streamVersion() : null);
    g.put("guest_type", r.guestType() == null ? null : r.guestType().label());
    g.put("xen_major", r.xenMajor() >= 0 ? r.xenMajor() : null);
    g.put("xen_minor", r.xenMinor() >= 0 ? r.xenMinor() : null);
    g.put("guest_name", r.guestName());
    g.put("guest_uuid", r.guestUuid());
    g.put("guest_id", a.guestId());
    g.put("status", r.status().label());
    g.put("error_count", r.errorCount());
    g.put("warning_count", r.warningCount());
    g.put("record_count", r.records());
    g.put("page_count", r.pages());
    g.put("cpuid_leaf_count", (long) r.cpuid().size());
    g.put("msr_count", (long) r.msr().size());
    g.put("bytes_read", r.bytesRead());
    g.put("audit_run_id", runId);
    out.write(AuditTables.STREAMS, g);
  }

  private static void cpuid(TableFiles out, ImageAnalysis a) throws IOException {
    GenericRecord g = out.row(AuditTables.CPUID_POLICY);
    g.put("guest_id", a.guestId());
    g.put("source_uri", a.uri());
    for (CpuidLeaf l : a.report().cpuid()) {
      g.put("leaf", l.uLeaf());
      g.put("subleaf", l.uSubleaf());
      g.put("eax", l.uEax());
      g.put("ebx", l.uEbx());
      g.put("ecx", l.uEcx());
      g.put("edx", l.uEdx());
      out.write(AuditTables.CPUID_POLICY, g);
    }
  }

  private static void msr(TableFiles out, ImageAnalysis a) throws IOException {
    GenericRecord g = out.row(AuditTables.MSR_POLICY);
    g.put("guest_id", a.guestId());
    g.put("source_uri", a.uri());
    for (MsrEntry m : a.report().msr()) {
      g.put("msr_index", m.uIndex());
      g.put("flags", m.uFlags());
      g.put("value", m.value());
      g.put("value_hex", m.valueHex());
      out.write(AuditTables.MSR_POLICY, g);
    }
  }

  private static void findings(TableFiles out, ImageAnalysis a) throws IOException {
    GenericRecord g = out.row(AuditTables.FINDINGS);
    g.put("guest_id", a.guestId());
    g.put("source_uri", a.uri());
    for (Finding f : a.report().findings()) {
      g.put("severity", f.severity().label());
      g.put("code", f.code().name());
      g.put("message", f.message());
      g.put("byte_offset", f.offset());
      g.put("record_index", f.recordIndex() >= 0 ? f.recordIndex() : null);
      g.put("record_type", f.recordType());
      g.put("layer", f.layer().label());
      out.write(AuditTables.FINDINGS, g);
    }
  }

  /**
   * One row per feature of the table, for every stream: about 290 per image, most of the rows an
   * audit writes. Strings are handed over as UTF-8 ({@link Utf8}), encoded once: as Java strings,
   * the Parquet writer would encode six per row again.
   */
  private static void features(TableFiles out, ImageAnalysis a) throws IOException {
    GenericRecord g = out.row(AuditTables.CPUID_FEATURES);
    g.put("guest_id", new Utf8(a.guestId()));
    g.put("source_uri", new Utf8(a.uri()));
    g.put("decode_version", FeatureColumns.DECODE_VERSION);
    CpuPolicy p = a.policy();
    List<CpuFeature> all = Features.all();
    for (int i = 0; i < all.size(); i++) {
      CpuFeature f = all.get(i);
      g.put("feature", FeatureColumns.NAMES[i]);
      g.put("word", FeatureColumns.WORDS[i]);
      g.put("bit", FeatureColumns.BITS[i]);
      g.put("source", f.msr() ? FeatureColumns.MSR : FeatureColumns.CPUID);
      g.put("leaf", FeatureColumns.LEAVES[i]);
      g.put("subleaf", FeatureColumns.SUBLEAVES[i]);
      g.put("register", FeatureColumns.REGISTERS[i]);
      g.put("present", p.present(f));
      out.write(AuditTables.CPUID_FEATURES, g);
    }
  }

  private static void security(TableFiles out, ImageAnalysis a) throws IOException {
    GuestSecurity s = a.security();
    GenericRecord g = out.row(AuditTables.GUEST_SECURITY);
    g.put("guest_id", a.guestId());
    g.put("source_uri", a.uri());
    g.put("vendor", s.vendor() == null ? null : s.vendor().label());
    g.put("family", s.family());
    g.put("model", s.model());
    g.put("stepping", s.stepping());
    for (String column : SecurityFeatures.COLUMNS) {
      g.put(column, s.feature(column));
    }
    for (SecurityIssue i : SecurityIssue.values()) {
      Assessment x = s.assessment(i);
      g.put(i.column() + "_verdict", x.verdict().label());
      g.put(i.column() + "_reason", x.reason());
      g.put(i.column() + "_sysfs", x.sysfs());
    }
    g.put("decode_version", Features.DECODE_VERSION);
    out.write(AuditTables.GUEST_SECURITY, g);
  }

  private static void migration(TableFiles out, ImageAnalysis a) throws IOException {
    MigrationCheck.Result m = a.migration();
    GenericRecord c = out.row(AuditTables.MIGRATION_CHECK);
    c.put("guest_id", a.guestId());
    c.put("source_uri", a.uri());
    c.put("target", a.migrationTarget());
    c.put("compatible", m.compatible());
    c.put("blocker_count", (long) m.blockers().size());
    c.put("non_blocking_features",
        m.nonBlockingFeatures().isEmpty() ? null : String.join(",", m.nonBlockingFeatures()));
    out.write(AuditTables.MIGRATION_CHECK, c);
    GenericRecord b = out.row(AuditTables.MIGRATION_BLOCKERS);
    b.put("guest_id", a.guestId());
    b.put("source_uri", a.uri());
    b.put("target", a.migrationTarget());
    for (MigrationCheck.Blocker x : m.blockers()) {
      b.put("kind", x.kind());
      b.put("feature", x.feature());
      b.put("leaf", x.leaf());
      b.put("subleaf", x.subleaf());
      b.put("register", x.register());
      b.put("bit", x.bit());
      b.put("msr_index", x.msrIndex());
      b.put("detail", x.detail());
      out.write(AuditTables.MIGRATION_BLOCKERS, b);
    }
  }

  /** The columns that only depend on the feature, made once (and encoded once). */
  private static final class FeatureColumns {
    static final Utf8 DECODE_VERSION = new Utf8(Features.DECODE_VERSION);
    static final Utf8 MSR = new Utf8("msr");
    static final Utf8 CPUID = new Utf8("cpuid");
    static final Utf8[] NAMES = Features.all().stream().map(f -> new Utf8(Features.name(f))).toArray(Utf8[]::new);
    static final Utf8[] REGISTERS = Features.all().stream().map(f -> new Utf8(f.register())).toArray(Utf8[]::new);
    static final Long[] WORDS = Features.all().stream().map(f -> (long) f.word()).toArray(Long[]::new);
    static final Long[] BITS = Features.all().stream().map(f -> (long) f.bit()).toArray(Long[]::new);
    static final Long[] LEAVES = Features.all().stream().map(CpuFeature::leafOrMsr).toArray(Long[]::new);
    static final Long[] SUBLEAVES = Features.all().stream()
        .map(f -> f.msr() ? null : Integer.toUnsignedLong(f.subleaf())).toArray(Long[]::new);
  }
}
