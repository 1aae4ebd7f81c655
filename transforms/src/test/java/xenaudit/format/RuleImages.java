package xenaudit.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import xenaudit.sample.ByteArrayImageSink;
import xenaudit.sample.GuestImageWriter;
import xenaudit.sample.GuestSpec;
import xenaudit.sample.ImagePlan;
import xenaudit.sample.ImagePlan.Part;
import xenaudit.sample.ImagePlan.PartWriter;
import xenaudit.sample.Mark;
import xenaudit.sample.StreamWriter;
import xenaudit.sample.WrittenImage;

/**
 * Small in-memory images for the {@code *RuleTest} classes, and the assertions they share.
 *
 * <p>Every image starts as the valid plan {@link GuestImageWriter} makes for a tiny guest (2 MiB,
 * 2 vCPUs, Xen 4.19, no xenstore record so that Xen's own verifier accepts it too) and is then
 * edited part by part: one defect per failing image, the same edit with a valid value for the
 * passing one. Where a finding lands is taken from the {@link WrittenImage} marks, never from the
 * reader: a record's index is the number of records of its layer written before it.
 */
final class RuleImages {
  static final String UUID = "5f1c2d3e-4a5b-4c6d-8e7f-0123456789ab";
  /** xl migrate's "go" message, NUL included: what a captured migration has after libxl END. */
  static final byte[] HANDSHAKE =
      "domain is yours, you are cleared to unpause\0".getBytes(StandardCharsets.ISO_8859_1);

  /** Codes some rule test asserted present (see {@link FindingCodeCoverageRuleTest}). */
  private static final Set<FindingCode> ASSERTED = Collections.synchronizedSet(EnumSet.noneOf(FindingCode.class));

  /** Base plans by (spec, checkpoints + 1 or 0): parts are immutable, so an edited copy shares them. */
  private static final Map<List<Object>, ImagePlan> PLANS = new ConcurrentHashMap<>();

  private RuleImages() {}

  // ------------------------------------------------------------------ guests

  static GuestSpec spec(GuestSpec.Kind kind) {
    return GuestSpec.of("rule-" + kind.label(), UUID)
        .withKind(kind)
        .withMemory(2L << 20)
        .withEmulatorPhysmap(false);
  }

  static Plan hvm() {
    return plan(spec(GuestSpec.Kind.HVM));
  }

  static Plan pv() {
    return plan(spec(GuestSpec.Kind.PV));
  }

  static Plan pvh() {
    return plan(spec(GuestSpec.Kind.PVH));
  }

  static Plan plan(GuestSpec spec) {
    return copy(PLANS.computeIfAbsent(List.of(spec, 0), k -> compact(GuestImageWriter.plan(spec), spec)));
  }

  /** A Remus stream with {@code complete} whole checkpoints, then the memory of one more. */
  static Plan checkpointed(GuestSpec spec, int complete) {
    return copy(PLANS.computeIfAbsent(List.of(spec, complete + 1),
        k -> compact(GuestImageWriter.checkpointedPlan(spec, complete), spec)));
  }

  private static Plan copy(ImagePlan base) {
    ImagePlan p = new ImagePlan();
    base.parts().forEach(p::add);
    return new Plan(p);
  }

  /**
   * The pfns of the small memory record that stands for each memory pass (keeps images a few KiB,
   * so the rule tests stay fast): HVM two RAM pages and a VGA hole; PV the page-table pages of the
   * writer's layout (L4 pinned, L3, L2, L1 at pfn 64-67), the P2M frame and pfn 0.
   */
  static long[] smallMemory(GuestSpec spec) {
    if (spec.hvm()) {
      return new long[] {
          StreamWriter.pfnEntry(0, StreamWriter.PAGE_NOTAB),
          StreamWriter.pfnEntry(1, StreamWriter.PAGE_NOTAB),
          StreamWriter.pfnEntry(0xA0, StreamWriter.PAGE_XTAB)};
    }
    return new long[] {
        StreamWriter.pfnEntry(0, StreamWriter.PAGE_NOTAB),
        StreamWriter.pfnEntry(64, StreamWriter.PAGE_L4TAB | StreamWriter.PAGE_PINNED),
        StreamWriter.pfnEntry(65, StreamWriter.PAGE_L3TAB),
        StreamWriter.pfnEntry(66, StreamWriter.PAGE_L2TAB),
        StreamWriter.pfnEntry(67, StreamWriter.PAGE_L1TAB),
        StreamWriter.pfnEntry(68, StreamWriter.PAGE_NOTAB)};
  }

  /** Small memory records, and the xl config rendered once (parts are written many times). */
  private static ImagePlan compact(ImagePlan p, GuestSpec spec) {
    long[] pfns = smallMemory(spec);
    byte[] config = GuestImageWriter.xlConfig(spec);
    List<Part> parts = p.parts();
    for (int i = 0; i < parts.size(); i++) {
      if (parts.get(i).layer().equals(ImagePlan.MEMORY)) {
        parts.set(i, ImagePlan.part(ImagePlan.MEMORY, w -> w.pageData(pfns)));
      } else if (parts.get(i).layer().equals(ImagePlan.XL)) {
        parts.set(i, ImagePlan.part(ImagePlan.XL, w -> w.xlSaveHeader(config)));
      }
    }
    return p;
  }

  /** An image of exactly these parts, for containers and headers the guest writer never makes. */
  static Image raw(PartWriter... parts) {
    Plan p = new Plan(new ImagePlan());
    for (PartWriter w : parts) {
      p.plan.add(ImagePlan.part("raw", w));
    }
    return p.write();
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  /** Little-endian bytes of u32 / u64 values, for record bodies written field by field. */
  static byte[] le(long... u32s) {
    byte[] b = new byte[4 * u32s.length];
    for (int i = 0; i < u32s.length; i++) {
      for (int k = 0; k < 4; k++) {
        b[4 * i + k] = (byte) (u32s[i] >>> (8 * k));
      }
    }
    return b;
  }

  static byte[] le64(long v) {
    return le(v & 0xFFFFFFFFL, v >>> 32);
  }

  static byte[] concat(byte[]... parts) {
    int n = 0;
    for (byte[] p : parts) {
      n += p.length;
    }
    byte[] out = new byte[n];
    int at = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }

  // ------------------------------------------------------------------ plans

  /** An editable image plan; each edit names its anchor part by layer and record type. */
  static final class Plan {
    final ImagePlan plan;

    Plan(ImagePlan plan) {
      this.plan = plan;
    }

    private int find(String layer, long type) {
      return plan.require(layer, type);
    }

    Plan replace(String layer, long type, PartWriter w) {
      plan.replace(find(layer, type), new Part(layer, type, w));
      return this;
    }

    Plan replaceLibxc(long type, PartWriter w) {
      return replace(ImagePlan.LIBXC, type, w);
    }

    Plan replaceLibxl(long type, PartWriter w) {
      return replace(ImagePlan.LIBXL, type, w);
    }

    /** Replaces a header or container part (layers xl, libvirt, libxl_header, libxc_*_header). */
    Plan replaceHeader(String layer, PartWriter w) {
      return replace(layer, -1, w);
    }

    Plan before(String layer, long type, Part p) {
      plan.insert(find(layer, type), p);
      return this;
    }

    Plan after(String layer, long type, Part p) {
      find(layer, type);
      plan.insert(plan.lastIndexOf(layer, type) + 1, p);
      return this;
    }

    /** Inserts a libxc record before the first record of {@code anchor}. */
    Plan beforeLibxc(long anchor, long type, PartWriter w) {
      return before(ImagePlan.LIBXC, anchor, ImagePlan.libxc(type, w));
    }

    /** Inserts a libxc record after the last record of {@code anchor}. */
    Plan afterLibxc(long anchor, long type, PartWriter w) {
      return after(ImagePlan.LIBXC, anchor, ImagePlan.libxc(type, w));
    }

    Plan beforeLibxl(long anchor, long type, PartWriter w) {
      return before(ImagePlan.LIBXL, anchor, ImagePlan.libxl(type, w));
    }

    /** Inserts a libxc record before the memory records. */
    Plan beforeMemory(long type, PartWriter w) {
      return before(ImagePlan.MEMORY, -1, ImagePlan.libxc(type, w));
    }

    Plan afterMemory(long type, PartWriter w) {
      return after(ImagePlan.MEMORY, -1, ImagePlan.libxc(type, w));
    }

    Plan remove(String layer, long type) {
      plan.remove(find(layer, type));
      return this;
    }

    Plan removeLibxc(long type) {
      return remove(ImagePlan.LIBXC, type);
    }

    Plan removeLibxl(long type) {
      return remove(ImagePlan.LIBXL, type);
    }

    /** Appends bytes after the last part (trailing data). */
    Plan append(PartWriter w) {
      plan.add(ImagePlan.part(ImagePlan.TRAILER, w));
      return this;
    }

    Image write() {
      ByteArrayImageSink sink = new ByteArrayImageSink();
      try {
        WrittenImage written = plan.write(sink);
        return new Image(sink.toByteArray(), written);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  // ------------------------------------------------------------------ written images

  /** The bytes of one image and where each structure lies. */
  record Image(byte[] bytes, WrittenImage written) {
    ImageReport read() {
      return read(ReadOptions.DEFAULTS);
    }

    ImageReport read(ReadOptions options) {
      return ImageReader.read("rule-image", new ByteArrayChannel(bytes, bytes.length), options);
    }

    /** Read as a stream of unknown size (a pipe, a decompressor). */
    ImageReport readStreaming() {
      return ImageReader.read(
          "rule-image",
          ByteSource.streaming(Channels.newChannel(new ByteArrayInputStream(bytes))),
          ReadOptions.DEFAULTS);
    }

    /**
     * The first {@code n} bytes of this image. The marks stay those of the whole image, so a
     * finding about the cut is located against the structures that were written.
     */
    Image cut(long n) {
      return new Image(Arrays.copyOf(bytes, (int) n), written);
    }

    /** The first mark of this kind (e.g. {@code libxc:X86_TSC_INFO}). */
    Mark mark(String kind) {
      return mark(kind, 0);
    }

    /** The {@code n}-th mark of this kind, from 0. */
    Mark mark(String kind, int n) {
      int seen = 0;
      for (Mark m : written.marks()) {
        if (m.kind().equals(kind) && seen++ == n) {
          return m;
        }
      }
      throw new AssertionError("image has no mark " + kind + " #" + n + ": " + kinds());
    }

    Mark last(String kind) {
      Mark m = written.last(kind);
      assertNotNull(m, () -> "image has no mark " + kind + ": " + kinds());
      return m;
    }

    List<String> kinds() {
      return written.marks().stream().map(Mark::kind).collect(Collectors.toList());
    }

    /** Index of a record within its layer's stream: records of that layer written before it. */
    long indexOf(Mark record) {
      String prefix = prefix(record);
      long n = 0;
      for (Mark m : written.marks()) {
        if (m == record) {
          return n;
        }
        if (m.kind().startsWith(prefix)) {
          n++;
        }
      }
      throw new AssertionError("mark not in this image: " + record);
    }

    /** Records of a layer ({@code libxc:} or {@code libxl:}) written. */
    long records(String prefix) {
      return written.marks().stream().filter(m -> m.kind().startsWith(prefix)).count();
    }
  }

  private static String prefix(Mark record) {
    if (record.kind().startsWith("libxc:")) {
      return "libxc:";
    }
    if (record.kind().startsWith("libxl:")) {
      return "libxl:";
    }
    throw new IllegalArgumentException("not a record mark: " + record);
  }

  // ------------------------------------------------------------------ assertions

  static Check check(Image img) {
    return new Check(img, img.read());
  }

  static Check check(Image img, ReadOptions options) {
    return new Check(img, img.read(options));
  }

  static Check check(Image img, ImageReport r) {
    return new Check(img, r);
  }

  /** Codes asserted present, located, since the last {@link #clearAsserted}. */
  static Set<FindingCode> asserted() {
    Set<FindingCode> copy = EnumSet.noneOf(FindingCode.class);
    synchronized (ASSERTED) {
      copy.addAll(ASSERTED);
    }
    return copy;
  }

  static void clearAsserted() {
    ASSERTED.clear();
  }

  /** Assertions on the report of one image. */
  static final class Check {
    final Image img;
    final ImageReport r;
    private final Set<FindingCode> expectedErrors = EnumSet.noneOf(FindingCode.class);

    Check(Image img, ImageReport r) {
      this.img = img;
      this.r = r;
      assertFalse(r.internalError(), () -> "reader failed: " + r.findings());
    }

    /**
     * A finding of {@code code} located at a written structure: a record ({@code libxc:NAME},
     * {@code libxl:NAME}) or a header ({@code libxl_header}, {@code libxc_image_header}, {@code
     * libxc_domain_header}, {@code xl_header}).
     */
    Check has(Severity severity, FindingCode code, Mark at) {
      String kind = at.kind();
      if (kind.startsWith("libxc:") || kind.startsWith("libxl:")) {
        Layer layer = kind.startsWith("libxc:") ? Layer.LIBXC : Layer.LIBXL;
        return has(severity, code, at.offset(), img.indexOf(at), kind.substring(6), layer);
      }
      return switch (kind) {
        case "libxl_header" -> has(severity, code, at.offset(), -1, "libxl_header", Layer.LIBXL);
        case "libxc_image_header" -> has(severity, code, at.offset(), -1, "image_header", Layer.LIBXC);
        case "libxc_domain_header" -> has(severity, code, at.offset(), -1, "domain_header", Layer.LIBXC);
        case "xl_header" -> has(severity, code, at.offset(), -1, "xl_header", Layer.XL);
        default -> throw new IllegalArgumentException("no finding location for mark " + at);
      };
    }

    /**
     * A finding of {@code code} with this severity at exactly this place; {@code type} null leaves
     * the record type unchecked.
     */
    Check has(Severity severity, FindingCode code, long offset, long index, String type, Layer layer) {
      List<Finding> same = of(code);
      assertFalse(same.isEmpty(), () -> "expected " + code + " @" + offset + ", found " + describe());
      Finding f = same.stream().filter(x -> x.offset() == offset).findFirst()
          .orElseThrow(() -> new AssertionError(code + " expected at offset " + offset + ", found " + describe()));
      assertEquals(severity, f.severity(), () -> "severity of " + f);
      assertEquals(index, f.recordIndex(), () -> "record index of " + f);
      if (type != null) {
        assertEquals(type, f.recordType(), () -> "record type of " + f);
      }
      assertEquals(layer, f.layer(), () -> "layer of " + f);
      if (severity == Severity.ERROR) {
        expectedErrors.add(code);
      }
      ASSERTED.add(code);
      return this;
    }

    /**
     * As {@link #has(Severity, FindingCode, long, long, String, Layer)} with the offset left
     * unchecked: only for findings whose reader-side offset is reported as wrong (each use points at
     * a disabled test that states the expected offset).
     */
    Check hasIgnoringOffset(Severity severity, FindingCode code, long index, String type, Layer layer) {
      Finding f = first(code);
      assertEquals(severity, f.severity(), () -> "severity of " + f);
      assertEquals(index, f.recordIndex(), () -> "record index of " + f);
      assertEquals(type, f.recordType(), () -> "record type of " + f);
      assertEquals(layer, f.layer(), () -> "layer of " + f);
      if (severity == Severity.ERROR) {
        expectedErrors.add(code);
      }
      ASSERTED.add(code);
      return this;
    }

    /** {@code code} is reported (anywhere) with this severity; for codes whose place is checked elsewhere. */
    Check hasSomewhere(Severity severity, FindingCode code) {
      List<Finding> same = of(code);
      assertFalse(same.isEmpty(), () -> "expected " + code + ", found " + describe());
      same.forEach(f -> assertEquals(severity, f.severity(), () -> "severity of " + f));
      if (severity == Severity.ERROR) {
        expectedErrors.add(code);
      }
      return this;
    }

    Check count(FindingCode code, int n) {
      assertEquals(n, of(code).size(), () -> "number of " + code + " in " + describe());
      return this;
    }

    Check lacks(FindingCode... codes) {
      for (FindingCode c : codes) {
        assertTrue(of(c).isEmpty(), () -> "expected no " + c + ", found " + describe());
      }
      return this;
    }

    /** No error at all: the image is valid (warnings and infos allowed). */
    Check valid() {
      assertEquals(0, r.errorCount(), this::describe);
      assertTrue(r.valid(), this::describe);
      assertEquals(ImageStatus.VALID, r.status(), this::describe);
      return this;
    }

    /**
     * Invalid, and every error is one asserted with {@link #has} or listed here: the defect costs
     * no unrelated error.
     */
    Check invalid(FindingCode... alsoExpected) {
      assertEquals(ImageStatus.INVALID, r.status(), this::describe);
      assertFalse(r.valid(), this::describe);
      Set<FindingCode> allowed = EnumSet.noneOf(FindingCode.class);
      allowed.addAll(expectedErrors);
      allowed.addAll(Arrays.asList(alsoExpected));
      for (Finding f : r.findings()) {
        if (f.severity() == Severity.ERROR && !allowed.contains(f.code())) {
          fail("unexpected error " + f + " among " + describe());
        }
      }
      return this;
    }

    /** No finding of any severity. */
    Check clean() {
      assertTrue(r.findings().isEmpty(), this::describe);
      return valid();
    }

    List<Finding> of(FindingCode code) {
      return r.findings().stream().filter(f -> f.code() == code).collect(Collectors.toList());
    }

    Finding first(FindingCode code) {
      List<Finding> same = of(code);
      assertFalse(same.isEmpty(), () -> "expected " + code + ", found " + describe());
      return same.get(0);
    }

    String describe() {
      List<String> lines = new ArrayList<>();
      r.findings().forEach(f -> lines.add(f.toString()));
      return r.status() + " " + lines;
    }
  }

}
