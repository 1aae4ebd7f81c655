package xenaudit.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import xenaudit.compress.Decompression;
import xenaudit.format.CpuFeature;
import xenaudit.format.CpuidLeaf;
import xenaudit.format.Finding;
import xenaudit.format.ImageReader;
import xenaudit.format.ImageReport;
import xenaudit.format.ImageStatus;
import xenaudit.format.MsrEntry;
import xenaudit.format.ReadOptions;
import xenaudit.format.RecordObserver;
import xenaudit.policy.Assessment;
import xenaudit.policy.CpuPolicy;
import xenaudit.policy.Features;
import xenaudit.policy.GuestSecurity;
import xenaudit.policy.SecurityIssue;

/**
 * {@code verify-image [--json] FILE...}: audits each file with the format core and prints its
 * verdict and findings. Exit status: 0 every file valid, 1 any file not valid, 2 internal error
 * or bad usage (as Xen's verify-stream-v2).
 */
public final class VerifyImage {
  private static final ObjectMapper JSON = new ObjectMapper();

  private VerifyImage() {}

  public static void main(String[] args) {
    // UTF-8 whatever the platform default: guest names can hold anything.
    PrintStream out = new PrintStream(
        new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16), false, StandardCharsets.UTF_8);
    int exit = run(args, out, System.err);
    out.flush();
    System.exit(exit);
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    boolean json = false;
    boolean records = false;
    ReadOptions readOptions = ReadOptions.DEFAULTS;
    List<Path> files = new ArrayList<>();
    boolean options = true;
    for (String a : args) {
      if (options && a.equals("--")) {
        options = false;
      } else if (options && a.equals("--json")) {
        json = true;
      } else if (options && a.equals("--records")) {
        records = true;
      } else if (options && a.equals("--read-page-payload")) {
        readOptions = readOptions.withReadPagePayload(true);
      } else if (options && (a.equals("-h") || a.equals("--help"))) {
        out.println(usage());
        return 0;
      } else if (options && a.startsWith("-") && a.length() > 1) {
        err.println("verify-image: unknown option " + a + "\n" + usage());
        return 2;
      } else {
        files.add(Path.of(a));
      }
    }
    if (files.isEmpty()) {
      err.println("verify-image: no FILE given\n" + usage());
      return 2;
    }
    int exit = 0;
    for (Path f : files) {
      List<RecordObserver.Seen> seen = new ArrayList<>();
      ImageReport r = Decompression.readImage(f, readOptions, records ? seen::add : RecordObserver.NONE);
      try {
        if (json) {
          out.println(toJson(r, records ? seen : null));
        } else {
          printHuman(r, out);
          if (records) {
            printRecords(seen, out);
          }
        }
      } catch (IOException e) {
        err.println("verify-image: cannot format the report of " + f + ": " + e);
        return 2;
      }
      if (r.internalError()) {
        exit = 2;
      } else if (r.status() != ImageStatus.VALID && exit == 0) {
        exit = 1;
      }
    }
    return exit;
  }

  static String usage() {
    return "usage: verify-image [--json] [--records] [--read-page-payload] FILE...\n"
        + "  Audits Xen save/migration images (xl, libvirt, libxl, libxc; v2 and v3);\n"
        + "  FILE.gz and FILE.zst are decompressed on the fly.\n"
        + "  --json               one JSON object per file per line\n"
        + "  --records            list every header and record: offset, layer, index, type, length, decode\n"
        + "  --read-page-payload  also read every page and report its CRC32C (reads the whole image)\n"
        + "  exit: 0 all valid, 1 some invalid or unreadable, 2 internal error";
  }

  static void printHuman(ImageReport r, PrintStream out) {
    out.printf("%s: %s%n", r.source(), r.status().label().toUpperCase(java.util.Locale.ROOT));
    out.printf(
        "  container %s, stream v%d, %s, Xen %s, guest %s (%s)%n",
        r.container().label(),
        r.streamVersion(),
        r.guestType() == null ? "-" : r.guestType().label(),
        r.xenVersion() == null ? "-" : r.xenVersion(),
        r.guestName() == null ? "-" : r.guestName(),
        r.guestUuid() == null ? "-" : r.guestUuid());
    out.printf(
        "  %d records, %d pages, %d CPUID leaves, %d MSRs; read %d of %d bytes%n",
        r.records(), r.pages(), r.cpuid().size(), r.msr().size(), r.bytesRead(), r.sizeBytes());
    if (r.payloadBytes() >= 0) {
      out.printf("  page payload: %d bytes, CRC32C %08x%n", r.payloadBytes(), r.payloadCrc32c());
    }
    CpuPolicy policy = CpuPolicy.of(r);
    if (policy.hasCpuid()) {
      GuestSecurity g = GuestSecurity.of(r, policy);
      out.printf("  %s family 0x%x model 0x%x stepping %d; %d features present%n",
          g.vendor() == null ? "-" : g.vendor().label(), g.family(), g.model(), g.stepping(), features(policy).size());
      out.println("  verdicts:");
      for (SecurityIssue.Scope scope : SecurityIssue.Scope.values()) {
        StringBuilder v = new StringBuilder("    ").append(scope.title()).append(':');
        for (SecurityIssue i : SecurityIssue.values()) {
          if (i.scope() == scope) {
            v.append(' ').append(i.column()).append(' ').append(g.assessment(i).verdict().label()).append(';');
          }
        }
        out.println(v.substring(0, v.length() - 1));
      }
    }
    out.printf("  %d errors, %d warnings, %d info%n", r.errorCount(), r.warningCount(), r.infoCount());
    for (Finding f : r.findings()) {
      out.println("  " + f);
    }
  }

  static void printRecords(List<RecordObserver.Seen> seen, PrintStream out) {
    out.printf("  %d headers and records:%n", seen.size());
    for (RecordObserver.Seen s : seen) {
      out.printf("    @%-12d %-5s %6s %-26s %10d  %s%s%n", s.offset(), s.layer().label(),
          s.index() < 0 ? "-" : Long.toString(s.index()), s.type(), s.length(), s.decode(),
          s.findings() == 0 ? "" : " (" + s.findings() + (s.findings() == 1 ? " finding)" : " findings)"));
    }
  }

  /** Lower-case names of the features the policy has (present is true). */
  static List<String> features(CpuPolicy p) {
    List<String> out = new ArrayList<>();
    for (CpuFeature f : Features.all()) {
      if (Boolean.TRUE.equals(p.present(f))) {
        out.add(Features.name(f));
      }
    }
    return out;
  }

  public static String toJson(ImageReport r) throws IOException {
    return toJson(r, null);
  }

  /** One line of JSON; every integer unsigned decimal. {@code records} null leaves them out. */
  public static String toJson(ImageReport r, List<RecordObserver.Seen> records) throws IOException {
    StringWriter w = new StringWriter();
    try (JsonGenerator g = new JsonFactory().createGenerator(w)) {
      g.setCodec(JSON);
      g.writeStartObject();
      g.writeStringField("source", r.source());
      g.writeStringField("status", r.status().label());
      g.writeStringField("container", r.container().label());
      g.writeNumberField("stream_version", r.streamVersion());
      g.writeStringField("guest_type", r.guestType() == null ? null : r.guestType().label());
      g.writeStringField("xen_version", r.xenVersion());
      g.writeStringField("guest_name", r.guestName());
      g.writeStringField("guest_uuid", r.guestUuid());
      g.writeStringField("config_type", r.config().type());
      if (r.sizeBytes() < 0) {
        g.writeNullField("size_bytes");
      } else {
        g.writeNumberField("size_bytes", r.sizeBytes());
      }
      g.writeNumberField("bytes_read", r.bytesRead());
      g.writeNumberField("records", r.records());
      g.writeNumberField("pages", r.pages());
      g.writeNumberField("checkpoints", r.checkpoints());
      if (r.payloadBytes() >= 0) {
        g.writeNumberField("payload_bytes", r.payloadBytes());
        g.writeStringField("payload_crc32c", String.format("%08x", r.payloadCrc32c()));
      }
      g.writeNumberField("error_count", r.errorCount());
      g.writeNumberField("warning_count", r.warningCount());
      g.writeArrayFieldStart("cpuid");
      for (CpuidLeaf l : r.cpuid()) {
        g.writeStartArray();
        g.writeNumber(l.uLeaf());
        g.writeNumber(l.uSubleaf());
        g.writeNumber(l.uEax());
        g.writeNumber(l.uEbx());
        g.writeNumber(l.uEcx());
        g.writeNumber(l.uEdx());
        g.writeEndArray();
      }
      g.writeEndArray();
      g.writeArrayFieldStart("msr");
      for (MsrEntry m : r.msr()) {
        g.writeStartArray();
        g.writeNumber(m.uIndex());
        g.writeNumber(m.uFlags());
        g.writeNumber(Long.toUnsignedString(m.value()));
        g.writeEndArray();
      }
      g.writeEndArray();
      if (r.config().cpuidRequest() != null) {
        g.writeFieldName("config_cpuid");
        g.writeTree(r.config().cpuidRequest());
      }
      if (r.config().msrRequest() != null) {
        g.writeFieldName("config_msr");
        g.writeTree(r.config().msrRequest());
      }
      CpuPolicy policy = CpuPolicy.of(r);
      g.writeArrayFieldStart("features");
      for (String name : features(policy)) {
        g.writeString(name);
      }
      g.writeEndArray();
      GuestSecurity security = GuestSecurity.of(r, policy);
      g.writeStringField("vendor", security.vendor() == null ? null : security.vendor().label());
      g.writeObjectFieldStart("verdicts");
      for (SecurityIssue i : SecurityIssue.values()) {
        Assessment a = security.assessment(i);
        g.writeObjectFieldStart(i.column());
        g.writeStringField("verdict", a.verdict().label());
        g.writeStringField("reason", a.reason());
        g.writeStringField("sysfs", a.sysfs());
        g.writeStringField("linux_file", i.sysfsFile());
        g.writeStringField("scope", i.scope().name().toLowerCase(java.util.Locale.ROOT));
        g.writeEndObject();
      }
      g.writeEndObject();
      if (records != null) {
        g.writeArrayFieldStart("records");
        for (RecordObserver.Seen s : records) {
          g.writeStartObject();
          g.writeNumberField("offset", s.offset());
          g.writeStringField("layer", s.layer().label());
          if (s.index() < 0) {
            g.writeNullField("index");
          } else {
            g.writeNumberField("index", s.index());
          }
          g.writeStringField("type", s.type());
          g.writeNumberField("length", s.length());
          g.writeStringField("decode", s.decode());
          g.writeNumberField("findings", s.findings());
          g.writeEndObject();
        }
        g.writeEndArray();
      }
      g.writeArrayFieldStart("findings");
      for (Finding f : r.findings()) {
        g.writeStartObject();
        g.writeStringField("severity", f.severity().label());
        g.writeStringField("code", f.code().name());
        g.writeStringField("message", f.message());
        g.writeNumberField("offset", f.offset());
        if (f.recordIndex() < 0) {
          g.writeNullField("record_index");
        } else {
          g.writeNumberField("record_index", f.recordIndex());
        }
        g.writeStringField("record_type", f.recordType());
        g.writeStringField("layer", f.layer().label());
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeEndObject();
    }
    return w.toString();
  }

}
