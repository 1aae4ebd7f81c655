package xenaudit.sample;

import static xenaudit.format.FindingCode.*;
import static xenaudit.sample.ImagePlan.LIBXC;
import static xenaudit.sample.ImagePlan.LIBXL;
import static xenaudit.sample.StreamWriter.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import java.util.function.ToLongFunction;
import xenaudit.format.Container;
import xenaudit.format.CpuidLeaf;
import xenaudit.format.FindingCode;
import xenaudit.format.MsrEntry;
import xenaudit.sample.CpuidProfiles.Model;
import xenaudit.sample.CpuidProfiles.Variation;
import xenaudit.sample.GuestSpec.Kind;

/**
 * The corruption classes of the sample fleet: one image each, made from a valid guest by editing
 * its {@link ImagePlan}, or by cutting the written file. Each class names the finding codes a
 * reader must report and whether the image is still valid (a warning or info only).
 */
public final class Corruptions {
  /** Makes one image at {@code file}; returns its manifest truth (expectations are added by the caller). */
  @FunctionalInterface
  public interface Maker {
    ManifestEntry make(Bases b, Path file, String name) throws IOException;
  }

  /**
   * One corruption class.
   *
   * @param extension file extension (the container the image pretends to be)
   * @param valid whether the image is still valid (only warnings/infos expected)
   * @param codes codes the reader must report
   */
  public record Corruption(String name, String extension, boolean valid, List<FindingCode> codes, String description,
      Maker maker) {
    public String fileName() {
      return "corrupt-" + name + "." + extension;
    }
  }

  /** The valid guests the corrupt images start from. */
  public record Bases(GuestSpec hvm, GuestSpec pv, GuestSpec pv32, GuestSpec pvh, GuestSpec v2, GuestSpec pvV2,
      GuestSpec libvirt, GuestSpec libxl, GuestSpec libxc) {

    /** Small guests ({@code memory}, clamped to 2-16 MiB) named from the seed. */
    public static Bases of(long seed, long memory) {
      long mem = Math.max(2L << 20, Math.min(memory, 16L << 20));
      Random r = new Random(seed ^ 0xBADC0DEL);
      // No EMULATOR_XENSTORE_DATA: Xen's verifier fails on any under Python 3, hiding what else it finds.
      GuestSpec hvm = new GuestSpec("lab-hvm", SampleFleet.uuid(r), Container.XL, Kind.HVM, 4, 19, mem, 2,
          Model.INTEL_CASCADE_LAKE, EnumSet.of(Variation.CPUID_FAULTING), 8, false, r.nextLong());
      GuestSpec pv = new GuestSpec("lab-pv", SampleFleet.uuid(r), Container.XL, Kind.PV, 4, 17, mem, 2,
          Model.AMD_ROME, EnumSet.noneOf(Variation.class), 8, false, r.nextLong());
      GuestSpec pv32 = new GuestSpec("lab-pv32", SampleFleet.uuid(r), Container.XL, Kind.PV, 4, 15, mem, 1,
          Model.INTEL_CASCADE_LAKE, EnumSet.noneOf(Variation.class), 4, false, r.nextLong());
      GuestSpec pvh = new GuestSpec("lab-pvh", SampleFleet.uuid(r), Container.XL, Kind.PVH, 4, 20, mem, 2,
          Model.AMD_MILAN, EnumSet.noneOf(Variation.class), 8, false, r.nextLong());
      GuestSpec v2 = new GuestSpec("lab-v2", SampleFleet.uuid(r), Container.XL, Kind.HVM, 4, 10, mem, 2,
          Model.INTEL_CASCADE_LAKE, EnumSet.noneOf(Variation.class), 8, false, r.nextLong());
      GuestSpec pvV2 = new GuestSpec("lab-pv-old", SampleFleet.uuid(r), Container.XL, Kind.PV, 4, 7, mem, 2,
          Model.INTEL_CASCADE_LAKE, EnumSet.noneOf(Variation.class), 8, false, r.nextLong());
      GuestSpec libvirt = new GuestSpec("lab-libvirt", SampleFleet.uuid(r), Container.LIBVIRT, Kind.HVM, 4, 18, mem,
          2, Model.INTEL_SAPPHIRE_RAPIDS, EnumSet.noneOf(Variation.class), 8, false, r.nextLong());
      GuestSpec libxl = new GuestSpec("lab-libxl", SampleFleet.uuid(r), Container.LIBXL, Kind.HVM, 4, 16, mem, 2,
          Model.AMD_MILAN, EnumSet.noneOf(Variation.class), 8, false, r.nextLong());
      GuestSpec libxc = new GuestSpec("lab-libxc", SampleFleet.uuid(r), Container.LIBXC, Kind.HVM, 4, 19, mem, 2,
          Model.INTEL_CASCADE_LAKE, EnumSet.noneOf(Variation.class), 8, false, r.nextLong());
      return new Bases(hvm, pv, pv32, pvh, v2, pvV2, libvirt, libxl, libxc);
    }
  }

  private Corruptions() {}

  /**
   * Corruption classes on which the format reader ({@code xenaudit.format}) currently disagrees
   * with the truth in the manifest, with why the manifest is right. Consumers that check the reader
   * against the manifest can use this to tell known reader bugs from new ones.
   */
  public static final Map<String, String> READER_DISAGREEMENTS = Map.of();

  private static final List<Corruption> ALL = build();

  /** Every corruption class, in a fixed order. */
  public static List<Corruption> all() {
    return ALL;
  }

  // ------------------------------------------------------------------ building blocks

  private static ManifestEntry written(GuestSpec s, ImagePlan p, Path file, String name) throws IOException {
    return ManifestEntry.of(name, s, p.write(file));
  }

  private interface SpecOf {
    GuestSpec of(Bases b);
  }

  /** The base image with its plan edited. */
  private static Maker edit(SpecOf base, Consumer<ImagePlan> e) {
    return (b, f, n) -> {
      GuestSpec s = base.of(b);
      ImagePlan p = GuestImageWriter.plan(s);
      e.accept(p);
      return written(s, p, f, n);
    };
  }

  private interface PlanEdit {
    void edit(ImagePlan p, GuestSpec s);
  }

  /** As {@link #edit}, with the spec at hand. */
  private static Maker editWith(SpecOf base, PlanEdit e) {
    return (b, f, n) -> {
      GuestSpec s = base.of(b);
      ImagePlan p = GuestImageWriter.plan(s);
      e.edit(p, s);
      return written(s, p, f, n);
    };
  }

  /** The base image cut after {@code at(written)} bytes. */
  private static Maker cut(SpecOf base, ToLongFunction<WrittenImage> at) {
    return (b, f, n) -> {
      GuestSpec s = base.of(b);
      WrittenImage w = GuestImageWriter.plan(s).write(f);
      long length = at.applyAsLong(w);
      truncate(f, length);
      return ManifestEntry.of(n, s, w).withSize(length, w.pagesWithin(length));
    };
  }

  static void truncate(Path f, long length) throws IOException {
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
      if (ch.size() < length) {
        throw new IllegalStateException("cannot cut " + f + " at " + length + ": it has " + ch.size() + " bytes");
      }
      ch.truncate(length);
    }
  }

  private static Mark need(WrittenImage w, String kind, boolean last) {
    Mark m = last ? w.last(kind) : w.first(kind);
    if (m == null) {
      throw new IllegalStateException("no " + kind + " in the written image");
    }
    return m;
  }

  private static long first(WrittenImage w, String kind) {
    return need(w, kind, false).offset();
  }

  private static long last(WrittenImage w, String kind) {
    return need(w, kind, true).offset();
  }

  private static int at(ImagePlan p, String layer, long type) {
    return p.require(layer, type);
  }

  private static void before(ImagePlan p, String layer, long type, ImagePlan.Part part) {
    p.insert(at(p, layer, type), part);
  }

  private static void after(ImagePlan p, String layer, long type, ImagePlan.Part part) {
    p.insert(at(p, layer, type) + 1, part);
  }

  private static void replace(ImagePlan p, String layer, long type, ImagePlan.Part part) {
    p.replace(at(p, layer, type), part);
  }

  private static void remove(ImagePlan p, String layer, long type) {
    p.remove(at(p, layer, type));
  }

  private static int memory(ImagePlan p) {
    return p.require(ImagePlan.MEMORY, -1);
  }

  private static ImagePlan.Part rec(long type, byte[] body) {
    return ImagePlan.libxc(type, w -> w.libxcRecord(type, body));
  }

  private static ImagePlan.Part lrec(long type, byte[] body) {
    return ImagePlan.libxl(type, w -> w.libxlRecord(type, body));
  }

  private static ImagePlan.Part imageHeader(long marker, long id, long version, int options, int r16, long r32) {
    return ImagePlan.part(ImagePlan.LIBXC_IMAGE_HEADER, w -> w.libxcImageHeader(marker, id, version, options, r16, r32));
  }

  private static ImagePlan.Part domainHeader(long type, int shift, int reserved, long major, long minor) {
    return ImagePlan.part(ImagePlan.LIBXC_DOMAIN_HEADER, w -> w.domainHeader(type, shift, reserved, major, minor));
  }

  private static ImagePlan.Part xl(long byteOrder, long mflags, long oflags, long optLen, long configLen,
      byte[] config, byte[] extra) {
    return ImagePlan.part(ImagePlan.XL, w -> {
      w.xlHeader(XL_MAGIC, byteOrder, mflags, oflags, optLen);
      if (optLen > 0) {
        w.xlOptionalData(configLen, config, extra);
      }
    });
  }

  private static void replaceXl(ImagePlan p, ImagePlan.Part part) {
    p.replace(p.require(ImagePlan.XL, -1), part);
  }

  private static ImagePlan.Part pageData(long[] entries, long count, long lengthField, long payloadPages) {
    return ImagePlan.libxc(PAGE_DATA, w -> w.pageData(entries, count, 0, lengthField, payloadPages, null));
  }

  private static ImagePlan.Part pageData(long... entries) {
    return ImagePlan.libxc(PAGE_DATA, w -> w.pageData(entries));
  }

  private static byte[] tsc(long mode, long khz, long reserved) {
    return new Le(24).u32(mode).u32(khz).u64(123_456_789_000L).u32(0).u32(reserved).array();
  }

  private static List<CpuidLeaf> cpuid(GuestSpec s) {
    return new ArrayList<>(GuestImageWriter.cpuidPolicy(s));
  }

  private static ImagePlan.Part cpuidRecord(List<CpuidLeaf> leaves) {
    return ImagePlan.libxc(X86_CPUID_POLICY, w -> w.cpuidPolicy(leaves));
  }

  private static ImagePlan.Part msrRecord(List<MsrEntry> entries) {
    return ImagePlan.libxc(X86_MSR_POLICY, w -> w.msrPolicy(entries));
  }

  private static CpuidLeaf with(CpuidLeaf l, int eax, int ebx, int ecx, int edx) {
    return new CpuidLeaf(l.leaf(), l.subleaf(), eax, ebx, ecx, edx);
  }

  /** A valid image whose CPUID policy is {@code change}d; the manifest carries the changed policy. */
  private static Maker cpuidValid(SpecOf base, java.util.function.UnaryOperator<List<CpuidLeaf>> change) {
    return (b, f, n) -> {
      GuestSpec s = base.of(b);
      List<CpuidLeaf> leaves = change.apply(cpuid(s));
      ImagePlan p = GuestImageWriter.plan(s);
      replace(p, LIBXC, X86_CPUID_POLICY, cpuidRecord(leaves));
      return written(s, p, f, n).withPolicies(leaves, GuestImageWriter.msrPolicy(s));
    };
  }

  private static Maker msrChanged(SpecOf base, List<MsrEntry> entries) {
    return (b, f, n) -> {
      GuestSpec s = base.of(b);
      ImagePlan p = GuestImageWriter.plan(s);
      replace(p, LIBXC, X86_MSR_POLICY, msrRecord(entries));
      return written(s, p, f, n).withPolicies(GuestImageWriter.cpuidPolicy(s), entries);
    };
  }

  private static ImagePlan.Part hvmContext(byte[] blob) {
    return ImagePlan.libxc(HVM_CONTEXT, w -> w.hvmContext(blob));
  }

  private static ImagePlan.Part emulatorContext(long id, long index, byte[] head, long zeros) {
    return ImagePlan.libxl(EMULATOR_CONTEXT, w -> w.emulatorContext(id, index, head, zeros));
  }

  private static ImagePlan.Part xenstore(List<String> strings) {
    return ImagePlan.libxl(EMULATOR_XENSTORE_DATA,
        w -> w.emulatorXenstoreData(EMULATOR_QEMU_UPSTREAM, 0, strings));
  }

  private static ImagePlan.Part raw(byte[] bytes) {
    return ImagePlan.part(ImagePlan.TRAILER, w -> w.raw(bytes));
  }

  private static byte[] vcpu(long id, int blob) {
    return new Le(8 + blob).u32(id).u32(0).zeros(blob).array();
  }

  /** A legacy (pre-v2) libxc stream start: u64 p2m_size, the extended-info chunk, then junk. */
  private static byte[] legacyStream(long p2mSize) {
    Le b = new Le(256).u64(p2mSize).u32(0xFFFFFFFFL).u32(16);
    b.bytes("vcpu".getBytes(StandardCharsets.US_ASCII)).u32(8).u64(0);
    b.u32(1024); // batch size
    for (int i = 0; i < 16; i++) {
      b.u64(i);
    }
    return b.array();
  }

  // ------------------------------------------------------------------ the classes

  private static final class Builder {
    final List<Corruption> list = new ArrayList<>();

    void invalid(String name, String description, Maker m, FindingCode... codes) {
      list.add(new Corruption(name, "xl", false, List.of(codes), description, m));
    }

    void valid(String name, String description, Maker m, FindingCode... codes) {
      list.add(new Corruption(name, "xl", true, List.of(codes), description, m));
    }

    void invalid(String name, String ext, String description, Maker m, FindingCode... codes) {
      list.add(new Corruption(name, ext, false, List.of(codes), description, m));
    }

    void valid(String name, String ext, String description, Maker m, FindingCode... codes) {
      list.add(new Corruption(name, ext, true, List.of(codes), description, m));
    }
  }

  private static List<Corruption> build() {
    Builder c = new Builder();
    SpecOf hvm = Bases::hvm;
    SpecOf pv = Bases::pv;
    SpecOf pv32 = Bases::pv32;
    SpecOf v2 = Bases::v2;
    SpecOf physmap = b -> b.hvm().withEmulatorPhysmap(true);

    // ---- truncation
    c.invalid("trunc-xl-header", "cut inside the 48-byte xl header", cut(hvm, w -> 20), TRUNCATED);
    c.invalid("trunc-xl-config", "cut inside the xl JSON config",
        cut(hvm, w -> first(w, "xl_optional_data") + 40), TRUNCATED);
    c.invalid("trunc-libxl-header", "cut inside the libxl stream header",
        cut(hvm, w -> first(w, "libxl_header") + 6), TRUNCATED);
    c.invalid("trunc-libxc-header", "cut inside the libxc image header",
        cut(hvm, w -> first(w, "libxc_image_header") + 12), TRUNCATED);
    c.invalid("trunc-domain-header", "cut inside the libxc domain header",
        cut(hvm, w -> first(w, "libxc_domain_header") + 8), TRUNCATED);
    c.invalid("trunc-record-header", "cut inside the header of the first PAGE_DATA record",
        cut(hvm, w -> first(w, "libxc:PAGE_DATA") + 4), TRUNCATED);
    c.invalid("trunc-record-body", "cut inside the X86_CPUID_POLICY body",
        cut(hvm, w -> first(w, "libxc:X86_CPUID_POLICY") + 8 + 100), TRUNCATED);
    c.invalid("trunc-pfn-array", "cut in the middle of a PAGE_DATA pfn array",
        cut(hvm, w -> first(w, "page_data_pfns") + 8 * 300 + 3), TRUNCATED);
    c.invalid("trunc-page-payload", "cut in the middle of a PAGE_DATA page payload",
        cut(hvm, w -> first(w, "page_data_payload") + 3 * PAGE_SIZE + 100), TRUNCATED);
    c.invalid("trunc-before-libxc-end", "cut right before the libxc END record",
        cut(hvm, w -> last(w, "libxc:END")), TRUNCATED);
    c.invalid("trunc-before-end", "cut right before the final libxl END record",
        cut(hvm, w -> last(w, "libxl:END")), TRUNCATED);
    c.invalid("trunc-libvirt-xml", "libvirt", "cut inside the libvirt domain XML",
        cut(Bases::libvirt, w -> first(w, "libvirt_xml") + 20), TRUNCATED);
    c.invalid("trunc-bare-libxc", "libxc", "bare libxc stream cut before its END",
        cut(Bases::libxc, w -> last(w, "libxc:END")), TRUNCATED);
    c.invalid("empty", "bin", "a zero-byte file", (b, f, n) -> {
      Files.write(f, new byte[0]);
      return new ManifestEntry(n, null, 0, null, null, null, null, null, List.of(), List.of(), 0, 0, "invalid",
          List.of(), null);
    }, EMPTY_INPUT);
    c.invalid("garbage", "bin", "4 KiB of random bytes", (b, f, n) -> {
      byte[] g = new byte[4096];
      new Random(b.hvm().seed()).nextBytes(g);
      g[0] = 0x37; // not the first byte of any container, and p2m_size far too large for legacy
      g[7] = 0x7F;
      Files.write(f, g);
      return new ManifestEntry(n, null, 0, null, null, null, null, null, List.of(), List.of(), 0, g.length,
          "invalid", List.of(), null);
    }, NOT_XEN_IMAGE);

    // ---- record framing
    c.invalid("record-length-huge", "X86_TSC_INFO declares length 0xFFFFFFF0",
        edit(hvm, p -> replace(p, LIBXC, X86_TSC_INFO,
            ImagePlan.libxc(X86_TSC_INFO, w -> w.libxcRecord(X86_TSC_INFO, tsc(0, 2_000_000, 0), 0xFFFFFFF0L, null)))),
        RECORD_TOO_LONG);
    c.invalid("libxl-record-length-huge", "EMULATOR_CONTEXT declares length 0xFFFFFFF0 (past the input)",
        edit(hvm, p -> replace(p, LIBXL, EMULATOR_CONTEXT, ImagePlan.libxl(EMULATOR_CONTEXT, w -> w.libxlRecord(
            EMULATOR_CONTEXT, new Le().u32(2).u32(0).bytes(GuestImageWriter.QEVM).array(), 0xFFFFFFF0L, null)))),
        TRUNCATED);
    c.invalid("padding-nonzero", "EMULATOR_CONTEXT padding bytes are 0xAA",
        edit(hvm, p -> replace(p, LIBXL, EMULATOR_CONTEXT, ImagePlan.libxl(EMULATOR_CONTEXT, w -> {
          byte[] body = new Le().u32(2).u32(0).bytes(GuestImageWriter.QEVM).zeros(4093).array();
          byte[] pad = new byte[-body.length & 7];
          java.util.Arrays.fill(pad, (byte) 0xAA);
          w.libxlRecord(EMULATOR_CONTEXT, body, -1, pad);
        }))), RECORD_PADDING_NONZERO);
    c.invalid("libxc-padding-nonzero", "a 60-byte X86_PV_VCPU_EXTENDED blob with non-zero padding",
        edit(pv, p -> replace(p, LIBXC, X86_PV_VCPU_EXTENDED, ImagePlan.libxc(X86_PV_VCPU_EXTENDED,
            w -> w.libxcRecord(X86_PV_VCPU_EXTENDED, vcpu(0, 60), -1, new byte[] {1, 2, 3, 4})))),
        RECORD_PADDING_NONZERO);

    // ---- libxc headers
    c.invalid("libxc-bad-marker", "libxc image header marker 0xFFFFFFFFFFFFFFFE",
        edit(hvm, p -> replace(p, ImagePlan.LIBXC_IMAGE_HEADER, -1,
            imageHeader(0xFFFFFFFFFFFFFFFEL, LIBXC_ID, 3, 0, 0, 0))), LIBXC_BAD_MARKER);
    c.invalid("libxc-bad-id", "libxc image header id XENG",
        edit(hvm, p -> replace(p, ImagePlan.LIBXC_IMAGE_HEADER, -1,
            imageHeader(LIBXC_MARKER, 0x58454E47L, 3, 0, 0, 0))), LIBXC_BAD_ID);
    c.invalid("libxc-bad-version", "libxc image header version 4",
        edit(hvm, p -> replace(p, ImagePlan.LIBXC_IMAGE_HEADER, -1,
            imageHeader(LIBXC_MARKER, LIBXC_ID, 4, 0, 0, 0))), LIBXC_BAD_VERSION);
    c.invalid("libxc-version-1", "libxc image header version 1",
        edit(hvm, p -> replace(p, ImagePlan.LIBXC_IMAGE_HEADER, -1,
            imageHeader(LIBXC_MARKER, LIBXC_ID, 1, 0, 0, 0))), LIBXC_BAD_VERSION);
    c.invalid("bare-libxc-bad-version", "libxc", "bare libxc stream with image header version 4",
        edit(Bases::libxc, p -> replace(p, ImagePlan.LIBXC_IMAGE_HEADER, -1,
            imageHeader(LIBXC_MARKER, LIBXC_ID, 4, 0, 0, 0))), LIBXC_BAD_VERSION);
    c.invalid("libxc-big-endian", "libxc image header options bit 0 (big-endian)",
        edit(hvm, p -> replace(p, ImagePlan.LIBXC_IMAGE_HEADER, -1,
            imageHeader(LIBXC_MARKER, LIBXC_ID, 3, LIBXC_OPT_BIG_ENDIAN, 0, 0))), LIBXC_BIG_ENDIAN);
    c.invalid("libxc-reserved-options", "libxc image header options bit 1",
        edit(hvm, p -> replace(p, ImagePlan.LIBXC_IMAGE_HEADER, -1,
            imageHeader(LIBXC_MARKER, LIBXC_ID, 3, 2, 0, 0))), LIBXC_RESERVED_OPTIONS);
    c.invalid("libxc-header-reserved", "libxc image header reserved u32 = 1",
        edit(hvm, p -> replace(p, ImagePlan.LIBXC_IMAGE_HEADER, -1,
            imageHeader(LIBXC_MARKER, LIBXC_ID, 3, 0, 0, 1))), LIBXC_HEADER_RESERVED);
    c.invalid("domain-bad-type", "domain header type 3 (the dropped x86 PVH draft)",
        edit(hvm, p -> replace(p, ImagePlan.LIBXC_DOMAIN_HEADER, -1, domainHeader(3, 12, 0, 4, 19))),
        DOMAIN_BAD_TYPE);
    c.invalid("domain-page-shift", "domain header page_shift 16",
        edit(hvm, p -> replace(p, ImagePlan.LIBXC_DOMAIN_HEADER, -1, domainHeader(2, 16, 0, 4, 19))),
        DOMAIN_BAD_PAGE_SHIFT);
    c.invalid("domain-reserved", "domain header reserved u16 = 1",
        edit(hvm, p -> replace(p, ImagePlan.LIBXC_DOMAIN_HEADER, -1, domainHeader(2, 12, 1, 4, 19))),
        DOMAIN_HEADER_RESERVED);

    // ---- libxl header
    c.invalid("libxl-bad-ident", "libxl header ident LibxlFMT",
        edit(hvm, p -> replace(p, ImagePlan.LIBXL_HEADER, -1,
            ImagePlan.part(ImagePlan.LIBXL_HEADER, w -> w.libxlHeader(0x4c6962786c464d54L, 2, 0)))),
        LIBXL_BAD_IDENT);
    c.invalid("libxl-bad-version", "libxl header version 1",
        edit(hvm, p -> replace(p, ImagePlan.LIBXL_HEADER, -1,
            ImagePlan.part(ImagePlan.LIBXL_HEADER, w -> w.libxlHeader(LIBXL_IDENT, 1, 0)))), LIBXL_BAD_VERSION);
    c.invalid("libxl-big-endian", "libxl header options bit 0 (big-endian records)",
        edit(hvm, p -> replace(p, ImagePlan.LIBXL_HEADER, -1,
            ImagePlan.part(ImagePlan.LIBXL_HEADER, w -> w.libxlHeader(LIBXL_OPT_BIG_ENDIAN)))), LIBXL_BIG_ENDIAN);
    c.invalid("libxl-reserved-options", "libxl header options bit 2",
        edit(hvm, p -> replace(p, ImagePlan.LIBXL_HEADER, -1,
            ImagePlan.part(ImagePlan.LIBXL_HEADER, w -> w.libxlHeader(4)))), LIBXL_RESERVED_OPTIONS);
    c.invalid("libxl-reserved-options-high", "libxl header options bit 16 (Xen's verifier checks bits 2-15 only)",
        edit(hvm, p -> replace(p, ImagePlan.LIBXL_HEADER, -1,
            ImagePlan.part(ImagePlan.LIBXL_HEADER, w -> w.libxlHeader(1L << 16)))), LIBXL_RESERVED_OPTIONS);

    // ---- xl container
    c.invalid("xl-bad-magic", "xl magic ends in \\n instead of \\r",
        editWith(hvm, (p, s) -> replaceXl(p, ImagePlan.part(ImagePlan.XL, w -> {
          byte[] magic = XL_MAGIC.clone();
          magic[31] = '\n';
          byte[] cfg = GuestImageWriter.xlConfig(s);
          w.xlHeader(magic, XL_BYTE_ORDER, 3, 0, 4 + cfg.length);
          w.xlOptionalData(cfg.length, cfg, new byte[0]);
        }))), NOT_XEN_IMAGE);
    c.invalid("xl-bad-byteorder", "xl byteorder written big-endian (04030201 read as 0x04030201)",
        editWith(hvm, (p, s) -> {
          byte[] cfg = GuestImageWriter.xlConfig(s);
          replaceXl(p, xl(0x04030201L, 3, 0, 4 + cfg.length, cfg.length, cfg, new byte[0]));
        }), XL_BAD_BYTE_ORDER);
    c.invalid("xl-unknown-mandatory-flags", "xl mandatory_flags 0x7",
        editWith(hvm, (p, s) -> {
          byte[] cfg = GuestImageWriter.xlConfig(s);
          replaceXl(p, xl(XL_BYTE_ORDER, 7, 0, 4 + cfg.length, cfg.length, cfg, new byte[0]));
        }), XL_UNKNOWN_MANDATORY_FLAGS);
    c.valid("xl-unknown-optional-flags", "xl optional_flags 0x1 (xl never looks at them)",
        editWith(hvm, (p, s) -> {
          byte[] cfg = GuestImageWriter.xlConfig(s);
          replaceXl(p, xl(XL_BYTE_ORDER, 3, 1, 4 + cfg.length, cfg.length, cfg, new byte[0]));
        }), XL_UNKNOWN_OPTIONAL_FLAGS);
    c.invalid("xl-config-length-overflow", "config_len 100 bytes beyond optional_data_len - 4",
        editWith(hvm, (p, s) -> {
          byte[] cfg = GuestImageWriter.xlConfig(s);
          replaceXl(p, xl(XL_BYTE_ORDER, 3, 0, 4 + cfg.length, cfg.length + 100, cfg, new byte[0]));
        }), XL_CONFIG_LENGTH);
    c.invalid("xl-config-invalid-json", "the JSON config is cut short (but NUL-terminated)",
        editWith(hvm, (p, s) -> {
          String t = GuestImageWriter.xlConfigText(s);
          byte[] cfg = (t.substring(0, t.length() / 2) + "\0").getBytes(StandardCharsets.UTF_8);
          replaceXl(p, xl(XL_BYTE_ORDER, 3, 0, 4 + cfg.length, cfg.length, cfg, new byte[0]));
        }), XL_CONFIG_INVALID);
    c.invalid("xl-config-no-nul", "JSON config without its trailing NUL",
        editWith(hvm, (p, s) -> {
          byte[] cfg = GuestImageWriter.xlConfigText(s).getBytes(StandardCharsets.UTF_8);
          replaceXl(p, xl(XL_BYTE_ORDER, 3, 0, 4 + cfg.length, cfg.length, cfg, new byte[0]));
        }), XL_CONFIG_NOT_NUL_TERMINATED);
    c.valid("xl-extra-optional-data", "8 bytes of optional data after the config",
        editWith(hvm, (p, s) -> {
          byte[] cfg = GuestImageWriter.xlConfig(s);
          replaceXl(p, xl(XL_BYTE_ORDER, 3, 0, 4 + cfg.length + 8, cfg.length, cfg, new byte[8]));
        }), XL_EXTRA_OPTIONAL_DATA);
    c.valid("xl-no-config", "xl header without optional data (no guest config)", (b, f, n) -> {
      GuestSpec s = b.hvm();
      ImagePlan p = GuestImageWriter.plan(s);
      replaceXl(p, xl(XL_BYTE_ORDER, XL_FLAG_STREAM_V2, 0, 0, 0, new byte[0], new byte[0]));
      return written(s, p, f, n).withConfig(null, null, null);
    }, XL_NO_CONFIG);
    c.valid("xl-config-text", "old xl: config-file text instead of JSON (JSON flag clear)",
        editWith(hvm, (p, s) -> {
          byte[] cfg = ("name = \"" + s.name() + "\"\nuuid = \"" + s.uuid() + "\"\ntype = \"hvm\"\nmemory = "
              + (s.memoryBytes() >> 20) + "\nvcpus = " + s.vcpus() + "\nvif = [ 'bridge=xenbr0' ]\n\0")
              .getBytes(StandardCharsets.UTF_8);
          replaceXl(p, xl(XL_BYTE_ORDER, XL_FLAG_STREAM_V2, 0, 4 + cfg.length, cfg.length, cfg, new byte[0]));
        }), XL_CONFIG_TEXT);
    c.invalid("xl-optional-data-truncated", "optional_data_len runs past the end of the file",
        editWith(hvm, (p, s) -> {
          p.parts().clear();
          p.add(ImagePlan.part(ImagePlan.XL, w -> w.xlHeader(XL_MAGIC, XL_BYTE_ORDER, 3, 0, 1 << 20)));
          p.add(ImagePlan.part(ImagePlan.XL, w -> w.raw(GuestImageWriter.xlConfig(s))));
        }), TRUNCATED);
    c.invalid("legacy-xl", "xl header without STREAMv2, then a legacy (Xen <= 4.5) libxc stream",
        editWith(hvm, (p, s) -> {
          byte[] cfg = GuestImageWriter.xlConfig(s);
          p.parts().clear();
          p.add(xl(XL_BYTE_ORDER, XL_FLAG_JSON, 0, 4 + cfg.length, cfg.length, cfg, new byte[0]));
          p.add(ImagePlan.part(ImagePlan.TRAILER, w -> {
            w.raw(legacyStream(GuestImageWriter.p2mSize(s)));
            w.hole(64 * PAGE_SIZE);
          }));
        }), LEGACY_IMAGE);
    c.invalid("legacy-bare", "bin", "a bare legacy libxc stream (u64 p2m_size, extended-info chunk)",
        editWith(hvm, (p, s) -> {
          p.parts().clear();
          p.add(ImagePlan.part(ImagePlan.TRAILER, w -> {
            w.raw(legacyStream(GuestImageWriter.p2mSize(s)));
            w.hole(64 * PAGE_SIZE);
          }));
        }), LEGACY_IMAGE);
    c.invalid("xl-nostreamv2-libxc", "xl header without STREAMv2 followed by a v3 libxc stream (no real writer)",
        editWith(Bases::libxc, (p, s) -> {
          byte[] cfg = GuestImageWriter.xlConfig(s);
          p.insert(0, xl(XL_BYTE_ORDER, XL_FLAG_JSON, 0, 4 + cfg.length, cfg.length, cfg, new byte[0]));
        }), LEGACY_IMAGE);

    // ---- libvirt container
    c.invalid("libvirt-v1", "libvirt", "libvirt save image version 1 (a legacy stream follows)",
        editWith(Bases::libvirt, (p, s) -> {
          byte[] x = (GuestImageWriter.libvirtXml(s) + "\0").getBytes(StandardCharsets.UTF_8);
          p.parts().clear();
          p.add(ImagePlan.part(ImagePlan.LIBVIRT, w -> {
            w.libvirtHeader(LIBVIRT_MAGIC, 1, x.length, new byte[0]);
            w.libvirtXml(x);
            w.raw(legacyStream(GuestImageWriter.p2mSize(s)));
          }));
        }), LEGACY_IMAGE);
    c.invalid("libvirt-bad-version", "libvirt", "libvirt save image version 3",
        editWith(Bases::libvirt, (p, s) -> {
          byte[] x = (GuestImageWriter.libvirtXml(s) + "\0").getBytes(StandardCharsets.UTF_8);
          p.replace(p.require(ImagePlan.LIBVIRT, -1), ImagePlan.part(ImagePlan.LIBVIRT, w -> {
            w.libvirtHeader(LIBVIRT_MAGIC, 3, x.length, new byte[0]);
            w.libvirtXml(x);
          }));
        }), LIBVIRT_BAD_VERSION);
    c.valid("libvirt-header-reserved", "libvirt", "libvirt header padding not zero",
        editWith(Bases::libvirt, (p, s) -> {
          byte[] x = (GuestImageWriter.libvirtXml(s) + "\0").getBytes(StandardCharsets.UTF_8);
          p.replace(p.require(ImagePlan.LIBVIRT, -1), ImagePlan.part(ImagePlan.LIBVIRT, w -> {
            w.libvirtHeader(LIBVIRT_MAGIC, 2, x.length, "unused!".getBytes(StandardCharsets.US_ASCII));
            w.libvirtXml(x);
          }));
        }), LIBVIRT_HEADER_RESERVED);
    c.valid("libvirt-xml-invalid", "libvirt", "libvirt domain XML without name or uuid", (b, f, n) -> {
      GuestSpec s = b.libvirt();
      ImagePlan p = GuestImageWriter.plan(s);
      byte[] x = "<domain type='xen'>\n  <memory unit='KiB'>16384</memory>\n</domain>\n\0"
          .getBytes(StandardCharsets.UTF_8);
      p.replace(p.require(ImagePlan.LIBVIRT, -1), ImagePlan.part(ImagePlan.LIBVIRT, w -> {
        w.libvirtHeader(LIBVIRT_MAGIC, 2, x.length, new byte[0]);
        w.libvirtXml(x);
      }));
      return written(s, p, f, n).withConfig(null, null, null);
    }, LIBVIRT_XML_INVALID);

    // ---- unknown records
    c.invalid("unknown-mandatory-record", "libxc record type 0x13 (reserved, mandatory)",
        edit(hvm, p -> before(p, LIBXC, X86_TSC_INFO, rec(0x13, new byte[16]))), UNKNOWN_MANDATORY_RECORD);
    c.valid("unknown-optional-record", "libxc record type 0x80000013 (optional bit): skipped per the spec",
        edit(hvm, p -> before(p, LIBXC, X86_TSC_INFO, rec(0x80000013L, new byte[12]))), UNKNOWN_OPTIONAL_RECORD);
    c.invalid("libxl-unknown-mandatory-record", "libxl record type 0x6 (reserved, mandatory)",
        edit(hvm, p -> before(p, LIBXL, LIBXL_END, lrec(0x6, new byte[8]))), UNKNOWN_MANDATORY_RECORD);
    c.valid("libxl-unknown-optional-record", "libxl record type 0x80000006 (optional bit)",
        edit(hvm, p -> before(p, LIBXL, LIBXL_END, lrec(0x80000006L, new byte[5]))), UNKNOWN_OPTIONAL_RECORD);

    // ---- placement
    c.invalid("v3-record-in-v2", "STATIC_DATA_END in a v2 stream",
        edit(v2, p -> p.insert(memory(p), ImagePlan.libxc(STATIC_DATA_END, StreamWriter::staticDataEnd))),
        RECORD_V3_ONLY);
    c.invalid("cpuid-in-v2", "X86_CPUID_POLICY in a v2 stream",
        editWith(v2, (p, s) -> p.insert(memory(p), cpuidRecord(GuestImageWriter.cpuidPolicy(s.withXen(4, 14))))),
        RECORD_V3_ONLY);
    c.invalid("static-data-end-missing", "v3 stream without STATIC_DATA_END",
        edit(hvm, p -> remove(p, LIBXC, STATIC_DATA_END)), STATIC_DATA_END_MISSING);
    c.invalid("static-data-end-repeated", "STATIC_DATA_END twice",
        edit(hvm, p -> after(p, LIBXC, STATIC_DATA_END, ImagePlan.libxc(STATIC_DATA_END,
            StreamWriter::staticDataEnd))), STATIC_DATA_END_REPEATED);
    c.invalid("policy-after-static-data-end", "X86_MSR_POLICY after STATIC_DATA_END",
        edit(hvm, p -> {
          ImagePlan.Part msr = p.parts().get(at(p, LIBXC, X86_MSR_POLICY));
          remove(p, LIBXC, X86_MSR_POLICY);
          after(p, LIBXC, STATIC_DATA_END, msr);
        }), STATIC_RECORD_LATE);
    c.invalid("pv-info-after-static-data-end", "X86_PV_INFO after STATIC_DATA_END",
        edit(pv, p -> {
          ImagePlan.Part info = p.parts().get(at(p, LIBXC, X86_PV_INFO));
          remove(p, LIBXC, X86_PV_INFO);
          after(p, LIBXC, STATIC_DATA_END, info);
        }), STATIC_RECORD_LATE);
    c.invalid("cpuid-duplicate-record", "X86_CPUID_POLICY twice",
        edit(hvm, p -> after(p, LIBXC, X86_CPUID_POLICY, p.parts().get(at(p, LIBXC, X86_CPUID_POLICY)))),
        DUPLICATE_RECORD);
    c.invalid("hvm-context-duplicate", "HVM_CONTEXT twice",
        edit(hvm, p -> after(p, LIBXC, HVM_CONTEXT, p.parts().get(at(p, LIBXC, HVM_CONTEXT)))), DUPLICATE_RECORD);
    c.invalid("pv-record-in-hvm", "X86_PV_VCPU_MSRS in an HVM stream",
        edit(hvm, p -> before(p, LIBXC, END, rec(X86_PV_VCPU_MSRS, new Le().u32(0).u32(0).u32(0x48).u32(0)
            .u64(4).array()))), RECORD_WRONG_GUEST_TYPE);
    c.invalid("hvm-record-in-pv", "HVM_PARAMS in a PV stream",
        edit(pv, p -> before(p, LIBXC, END, rec(HVM_PARAMS, hvmParamsBody(new long[][] {{1, 0xFEFFC}})))),
        RECORD_WRONG_GUEST_TYPE);
    c.invalid("toolstack", "deprecated TOOLSTACK record",
        edit(hvm, p -> before(p, LIBXC, END, rec(TOOLSTACK, new byte[24]))), TOOLSTACK_RECORD);
    c.invalid("checkpoint-dirty-pfn-list", "CHECKPOINT_DIRTY_PFN_LIST (COLO back channel) in a save file",
        edit(hvm, p -> before(p, LIBXC, END, rec(CHECKPOINT_DIRTY_PFN_LIST, new Le().u64(0x100).u64(0x101)
            .u64(0x2000).array()))), DIRTY_PFN_LIST_IN_STREAM);
    c.invalid("page-data-before-p2m", "PV: PAGE_DATA before X86_PV_P2M_FRAMES",
        edit(pv, p -> {
          ImagePlan.Part p2m = p.parts().get(at(p, LIBXC, X86_PV_P2M_FRAMES));
          remove(p, LIBXC, X86_PV_P2M_FRAMES);
          p.insert(memory(p) + 1, p2m);
        }), RECORD_OUT_OF_ORDER);
    c.invalid("verify-repeated", "two VERIFY records (debug migration)",
        editWith(hvm, (p, s) -> {
          int m = memory(p);
          p.insert(m + 1, ImagePlan.libxc(VERIFY, StreamWriter::verify));
          p.insert(m + 2, GuestImageWriter.memoryPart(s));
          p.insert(m + 3, ImagePlan.libxc(VERIFY, StreamWriter::verify));
          p.insert(m + 4, GuestImageWriter.memoryPart(s));
        }), VERIFY_REPEATED);
    c.valid("debug-verify", "xl migrate --debug: VERIFY and a second full memory pass",
        editWith(hvm, (p, s) -> {
          int m = memory(p);
          p.insert(m + 1, ImagePlan.libxc(VERIFY, StreamWriter::verify));
          p.insert(m + 2, GuestImageWriter.memoryPart(s));
        }));
    c.valid("hvm-params-before-context", "HVM_PARAMS before HVM_CONTEXT (the spec's order)",
        edit(hvm, p -> {
          ImagePlan.Part params = p.parts().get(at(p, LIBXC, HVM_PARAMS));
          remove(p, LIBXC, HVM_PARAMS);
          before(p, LIBXC, HVM_CONTEXT, params);
        }));

    // ---- CPUID policy
    c.invalid("cpuid-duplicate-leaf", "leaf 1 twice in X86_CPUID_POLICY",
        editWith(hvm, (p, s) -> {
          List<CpuidLeaf> l = cpuid(s);
          l.add(2, l.get(1));
          replace(p, LIBXC, X86_CPUID_POLICY, cpuidRecord(l));
        }), CPUID_DUPLICATE_LEAF);
    c.valid("cpuid-unsorted", "leaves 2 and 3 swapped", cpuidValid(hvm, l -> {
      CpuidLeaf two = l.get(2);
      l.set(2, l.get(3));
      l.set(3, two);
      return l;
    }), CPUID_UNSORTED);
    c.invalid("cpuid-leaf-out-of-range", "leaf 0x14 (Xen serialises basic leaves up to 0xD)",
        editWith(hvm, (p, s) -> {
          List<CpuidLeaf> l = cpuid(s);
          int i = 0;
          while (l.get(i).uLeaf() <= 0xD) {
            i++;
          }
          l.add(i, new CpuidLeaf(0x14, CpuidLeaf.NO_SUBLEAF, 1, 0, 0, 0));
          replace(p, LIBXC, X86_CPUID_POLICY, cpuidRecord(l));
        }), CPUID_LEAF_OUT_OF_RANGE);
    c.invalid("cpuid-too-many-leaves", "121 CPUID leaves (Xen serialises at most 120)",
        editWith(hvm, (p, s) -> {
          List<CpuidLeaf> l = cpuid(s);
          while (l.size() < 121) {
            l.add(l.get(l.size() - 1));
          }
          replace(p, LIBXC, X86_CPUID_POLICY, cpuidRecord(l));
        }), CPUID_TOO_MANY_LEAVES);
    c.valid("cpuid-unknown-vendor", "leaf 0 vendor \"XenVMMXenVMM\"", cpuidValid(hvm, l -> {
      l.set(0, with(l.get(0), 0xD, 0x566e6558, 0x4d4d566e, 0x65584d4d));
      return l;
    }), CPUID_UNKNOWN_VENDOR);
    c.valid("cpuid-hypervisor-leaf", "leaf 0x40000000 eax 0x40000105 (more than a u8)", cpuidValid(hvm, l -> {
      for (int i = 0; i < l.size(); i++) {
        if (l.get(i).uLeaf() == 0x40000000L) {
          l.set(i, with(l.get(i), 0x40000105, 0, 0, 0));
        }
      }
      return l;
    }), CPUID_HYPERVISOR_LEAF);
    c.valid("cpuid-max-leaf-mismatch", "leaf 0 eax says 7 but leaves up to 0xD are present", cpuidValid(hvm, l -> {
      CpuidLeaf z = l.get(0);
      l.set(0, with(z, 7, z.ebx(), z.ecx(), z.edx()));
      return l;
    }), CPUID_MAX_LEAF_MISMATCH);
    c.invalid("cpuid-bad-length", "X86_CPUID_POLICY length not a multiple of 24",
        editWith(hvm, (p, s) -> {
          byte[] body = cpuidBody(cpuid(s));
          replace(p, LIBXC, X86_CPUID_POLICY, rec(X86_CPUID_POLICY, java.util.Arrays.copyOf(body, body.length + 8)));
        }), RECORD_LENGTH);

    // ---- MSR policy
    c.invalid("msr-flags-nonzero", "PLATFORM_INFO entry with flags 1",
        msrChanged(hvm, List.of(new MsrEntry(0xCE, 1, 1L << 31), new MsrEntry(0x10A, 0, 0x1EBL))),
        MSR_FLAGS_NONZERO);
    c.invalid("msr-unknown-index", "MSR 0x140 (MISC_FEATURES_ENABLES) in the policy",
        msrChanged(hvm, List.of(new MsrEntry(0xCE, 0, 1L << 31), new MsrEntry(0x140, 0, 1))), MSR_UNKNOWN_INDEX);
    c.invalid("msr-value-too-wide", "PLATFORM_INFO value above 32 bits",
        msrChanged(hvm, List.of(new MsrEntry(0xCE, 0, 1L << 32 | 1L << 31), new MsrEntry(0x10A, 0, 0x1EBL))),
        MSR_VALUE_TOO_WIDE);
    c.valid("msr-unknown-bits", "ARCH_CAPABILITIES bit 63 (no known meaning; value >= 2^63)",
        msrChanged(hvm, List.of(new MsrEntry(0xCE, 0, 1L << 31), new MsrEntry(0x10A, 0, 1L << 63 | 0x1EBL))),
        MSR_UNKNOWN_BITS);
    c.invalid("msr-duplicate", "PLATFORM_INFO twice",
        msrChanged(hvm, List.of(new MsrEntry(0xCE, 0, 0), new MsrEntry(0xCE, 0, 1L << 31))), MSR_DUPLICATE);
    c.invalid("msr-too-many", "three MSR entries (Xen serialises at most 2)",
        msrChanged(hvm, List.of(new MsrEntry(0xCE, 0, 0), new MsrEntry(0x10A, 0, 0x1EBL),
            new MsrEntry(0x10A, 0, 0x1EBL))), MSR_TOO_MANY);
    c.valid("msr-unsorted", "ARCH_CAPABILITIES before PLATFORM_INFO",
        msrChanged(hvm, List.of(new MsrEntry(0x10A, 0, 0x1EBL), new MsrEntry(0xCE, 0, 1L << 31))), MSR_UNSORTED);
    c.invalid("msr-bad-length", "X86_MSR_POLICY of 20 bytes",
        edit(hvm, p -> replace(p, LIBXC, X86_MSR_POLICY, rec(X86_MSR_POLICY, new Le().u32(0xCE).u32(0).u64(0)
            .u32(0x10A).array()))), RECORD_LENGTH);

    // ---- PAGE_DATA
    c.invalid("page-data-bad-type", "a pfn with type nibble 5",
        edit(hvm, p -> p.insert(memory(p), pageData(pfnEntry(0x10, 5)))), PAGE_DATA_BAD_TYPE);
    c.invalid("page-data-pfn-reserved", "a pfn with bit 52 set",
        edit(hvm, p -> p.insert(memory(p), pageData(pfnEntry(0x10, 0) | 1L << 52))), PAGE_DATA_PFN_RESERVED);
    c.invalid("page-data-bad-length", "two data pfns but one page of payload",
        edit(hvm, p -> p.insert(memory(p), pageData(new long[] {0x10, 0x11}, 2, -1, 1))), RECORD_LENGTH);
    c.invalid("page-data-count-zero", "PAGE_DATA with count 0 (and one pfn)",
        edit(hvm, p -> p.insert(memory(p), pageData(new long[] {pfnEntry(0x10, PAGE_XTAB)}, 0, -1, 0))),
        PAGE_DATA_COUNT_ZERO);
    c.valid("page-data-batch-too-large", "memory sent in batches of 2048 pfns",
        editWith(hvm, (p, s) -> p.replace(memory(p), ImagePlan.part(ImagePlan.MEMORY, w -> {
          long p2m = GuestImageWriter.p2mSize(s);
          for (long start = 0; start < p2m; start += 2048) {
            long[] e = new long[(int) Math.min(2048, p2m - start)];
            for (int i = 0; i < e.length; i++) {
              e[i] = pfnEntry(start + i, GuestImageWriter.hvmType(s, start + i));
            }
            w.pageData(e);
          }
        }))), PAGE_DATA_BATCH_TOO_LARGE);
    c.valid("page-data-duplicate-pfn", "pfn 0x10 twice in one PAGE_DATA record",
        edit(hvm, p -> p.insert(memory(p) + 1, pageData(0x10, 0x11, 0x10))), PAGE_DATA_DUPLICATE_PFN);
    c.valid("page-table-in-hvm", "an L1 page-table type in an HVM stream",
        edit(hvm, p -> p.insert(memory(p) + 1, pageData(pfnEntry(0x10, PAGE_L1TAB)))), PAGE_TABLE_IN_HVM);
    c.invalid("pv-pfn-out-of-range", "PV: a pfn above the P2M end",
        editWith(pv, (p, s) -> p.insert(memory(p) + 1, pageData(GuestImageWriter.p2mSize(s) + 5))),
        PFN_OUT_OF_RANGE);

    // ---- HVM records
    c.invalid("hvm-context-bad-chain", "HVM_CONTEXT HEADER with the wrong magic",
        editWith(hvm, (p, s) -> {
          byte[] blob = GuestImageWriter.hvmContext(s);
          blob[8] ^= 0x01;
          replace(p, LIBXC, HVM_CONTEXT, hvmContext(blob));
        }), HVM_CONTEXT_BAD_CHAIN);
    c.invalid("hvm-context-no-end", "HVM_CONTEXT chain without its END descriptor",
        editWith(hvm, (p, s) -> {
          byte[] blob = GuestImageWriter.hvmContext(s);
          replace(p, LIBXC, HVM_CONTEXT, hvmContext(java.util.Arrays.copyOf(blob, blob.length - 8)));
        }), HVM_CONTEXT_BAD_CHAIN);
    c.invalid("hvm-context-unknown-type", "an HVM_CONTEXT descriptor with typecode 40 (hvm_load: -EINVAL)",
        editWith(hvm, (p, s) -> {
          byte[] blob = GuestImageWriter.hvmContext(s);
          byte[] extra = new Le().u16(40).u16(0).u32(16).zeros(16).array();
          byte[] out = new byte[blob.length + extra.length];
          System.arraycopy(blob, 0, out, 0, blob.length - 8);
          System.arraycopy(extra, 0, out, blob.length - 8, extra.length);
          System.arraycopy(blob, blob.length - 8, out, out.length - 8, 8);
          replace(p, LIBXC, HVM_CONTEXT, hvmContext(out));
        }), HVM_CONTEXT_UNKNOWN_TYPE);
    c.invalid("hvm-context-missing", "HVM stream without HVM_CONTEXT",
        edit(hvm, p -> remove(p, LIBXC, HVM_CONTEXT)), RECORD_MISSING);
    c.invalid("hvm-params-bad-index", "HVM_PARAMS index 39 (HVM_NR_PARAMS)",
        editWith(hvm, (p, s) -> {
          long[][] params = GuestImageWriter.hvmParams(s);
          params[params.length - 1] = new long[] {39, 1};
          replace(p, LIBXC, HVM_PARAMS, rec(HVM_PARAMS, hvmParamsBody(params)));
        }), HVM_PARAMS_BAD_INDEX);
    c.valid("hvm-params-unexpected-index", "HVM_PARAMS index 2 (CALLBACK_IRQ, which the saver never sends)",
        editWith(hvm, (p, s) -> {
          long[][] params = GuestImageWriter.hvmParams(s);
          long[][] more = java.util.Arrays.copyOf(params, params.length + 1);
          more[params.length] = new long[] {2, 0x1C};
          replace(p, LIBXC, HVM_PARAMS, rec(HVM_PARAMS, hvmParamsBody(more)));
        }), HVM_PARAMS_UNEXPECTED_INDEX);
    c.valid("hvm-params-duplicate", "HVM_PARAMS STORE_PFN twice",
        editWith(hvm, (p, s) -> {
          long[][] params = GuestImageWriter.hvmParams(s);
          long[][] more = java.util.Arrays.copyOf(params, params.length + 1);
          more[params.length] = params[0];
          replace(p, LIBXC, HVM_PARAMS, rec(HVM_PARAMS, hvmParamsBody(more)));
        }), HVM_PARAMS_DUPLICATE);
    c.valid("hvm-params-empty", "Xen 4.6-4.8 erratum: HVM_PARAMS with count 0",
        editWith(v2, (p, s) -> replace(p, LIBXC, HVM_PARAMS, rec(HVM_PARAMS, hvmParamsBody(new long[0][])))),
        HVM_PARAMS_EMPTY);
    c.invalid("hvm-params-bad-length", "HVM_PARAMS count 3 with 2 entries",
        edit(hvm, p -> replace(p, LIBXC, HVM_PARAMS, rec(HVM_PARAMS, new Le().u32(3).u32(0).u64(1).u64(0xFEFFC)
            .u64(17).u64(0xFEFFF).array()))), RECORD_LENGTH);
    c.invalid("tsc-bad-mode", "X86_TSC_INFO mode 7 (the hypervisor's tsc_set_info returns -EINVAL)",
        edit(hvm, p -> replace(p, LIBXC, X86_TSC_INFO, rec(X86_TSC_INFO, tsc(7, 2_095_078, 0)))), TSC_BAD_MODE);
    c.valid("tsc-zero-khz", "X86_TSC_INFO khz 0",
        edit(hvm, p -> replace(p, LIBXC, X86_TSC_INFO, rec(X86_TSC_INFO, tsc(0, 0, 0)))), TSC_ZERO_KHZ);
    c.invalid("tsc-reserved", "X86_TSC_INFO reserved field 1",
        edit(hvm, p -> replace(p, LIBXC, X86_TSC_INFO, rec(X86_TSC_INFO, tsc(0, 2_095_078, 1)))),
        RECORD_RESERVED_NONZERO);
    c.invalid("tsc-bad-length", "X86_TSC_INFO of 16 bytes",
        edit(hvm, p -> replace(p, LIBXC, X86_TSC_INFO, rec(X86_TSC_INFO, new byte[16]))), RECORD_LENGTH);

    // ---- PV records
    c.invalid("pv-info-4-4", "X86_PV_INFO (width 4, levels 4) on a 32-bit guest",
        edit(pv32, p -> replace(p, LIBXC, X86_PV_INFO, ImagePlan.libxc(X86_PV_INFO, w -> w.pvInfo(4, 4)))),
        PV_INFO_BAD_COMBINATION);
    c.invalid("pv-info-8-3", "X86_PV_INFO (width 8, levels 3) on a 64-bit guest",
        edit(pv, p -> replace(p, LIBXC, X86_PV_INFO, ImagePlan.libxc(X86_PV_INFO, w -> w.pvInfo(8, 3)))),
        PV_INFO_BAD_COMBINATION);
    c.invalid("pv-info-bad-width", "X86_PV_INFO guest_width 5",
        edit(pv, p -> replace(p, LIBXC, X86_PV_INFO, ImagePlan.libxc(X86_PV_INFO, w -> w.pvInfo(5, 4)))),
        PV_INFO_BAD_WIDTH);
    c.invalid("pv-info-bad-levels", "X86_PV_INFO pt_levels 2",
        edit(pv, p -> replace(p, LIBXC, X86_PV_INFO, ImagePlan.libxc(X86_PV_INFO, w -> w.pvInfo(8, 2)))),
        PV_INFO_BAD_LEVELS);
    c.invalid("pv-info-missing", "PV stream without X86_PV_INFO",
        edit(pv, p -> remove(p, LIBXC, X86_PV_INFO)), RECORD_MISSING);
    c.invalid("pv-p2m-bad-range", "X86_PV_P2M_FRAMES start above end",
        edit(pv, p -> replace(p, LIBXC, X86_PV_P2M_FRAMES, rec(X86_PV_P2M_FRAMES, new Le().u32(600).u32(10)
            .u64(0x900).array()))), P2M_BAD_RANGE);
    c.invalid("pv-p2m-bad-length", "X86_PV_P2M_FRAMES one frame short",
        editWith(pv, (p, s) -> {
          long end = GuestImageWriter.p2mSize(s) - 1;
          int frames = (int) p2mFrameCount(0, end, 8) - 1;
          Le b = new Le().u32(0).u32(end);
          for (int i = 0; i < frames; i++) {
            b.u64(0x900 + i);
          }
          replace(p, LIBXC, X86_PV_P2M_FRAMES, rec(X86_PV_P2M_FRAMES, b.array()));
        }), RECORD_LENGTH);
    c.invalid("pv-vcpu-basic-size", "X86_PV_VCPU_BASIC blob of 5160 bytes on a 64-bit guest",
        edit(pv, p -> replace(p, LIBXC, X86_PV_VCPU_BASIC, rec(X86_PV_VCPU_BASIC, vcpu(0, 5160)))), VCPU_BAD_SIZE);
    c.invalid("pv-vcpu-extended-too-big", "X86_PV_VCPU_EXTENDED blob of 136 bytes",
        edit(pv, p -> replace(p, LIBXC, X86_PV_VCPU_EXTENDED, rec(X86_PV_VCPU_EXTENDED, vcpu(0, 136)))),
        VCPU_BAD_SIZE);
    c.invalid("pv-vcpu0-basic-missing", "no X86_PV_VCPU_BASIC for vcpu 0",
        edit(pv, p -> remove(p, LIBXC, X86_PV_VCPU_BASIC)), RECORD_MISSING);
    c.invalid("pv-vcpu-id-range", "X86_PV_VCPU_BASIC for vcpu 2 of a 2-vcpu guest",
        edit(pv, p -> before(p, LIBXC, END, rec(X86_PV_VCPU_BASIC, vcpu(2, GuestImageWriter.VCPU_CONTEXT_64)))),
        VCPU_ID_RANGE);
    c.invalid("pv-vcpu-duplicate", "X86_PV_VCPU_BASIC for vcpu 0 twice",
        edit(pv, p -> before(p, LIBXC, END, rec(X86_PV_VCPU_BASIC, vcpu(0, GuestImageWriter.VCPU_CONTEXT_64)))),
        DUPLICATE_RECORD);
    c.invalid("pv-xsave-not-subset", "X86_PV_VCPU_XSAVE xcr0 0x7 with xcr0_accum 0x3 (validate_xstate: -EINVAL)",
        edit(pv, p -> replace(p, LIBXC, X86_PV_VCPU_XSAVE, rec(X86_PV_VCPU_XSAVE, new Le().u32(0).u32(0).u64(7)
            .u64(3).zeros(832).array()))), XSAVE_XCR0_NOT_SUBSET);
    c.invalid("pv-vcpu-msrs-reserved", "X86_PV_VCPU_MSRS entry with a non-zero reserved field",
        edit(pv, p -> replace(p, LIBXC, X86_PV_VCPU_MSRS, rec(X86_PV_VCPU_MSRS, new Le().u32(0).u32(0).u32(0x48)
            .u32(1).u64(4).array()))), RECORD_RESERVED_NONZERO);
    c.valid("pv-vcpu-empty-records", "Xen 4.6-4.8 erratum: empty X86_PV_VCPU_EXTENDED/XSAVE/MSRS",
        edit(Bases::pvV2, p -> {
          for (long t : new long[] {X86_PV_VCPU_EXTENDED, X86_PV_VCPU_XSAVE, X86_PV_VCPU_MSRS}) {
            replace(p, LIBXC, t, rec(t, vcpu(0, 0)));
          }
        }), EMPTY_RECORD);
    c.invalid("pv-shared-info-length", "SHARED_INFO of 4000 bytes",
        edit(pv, p -> replace(p, LIBXC, SHARED_INFO, rec(SHARED_INFO, new byte[4000]))), RECORD_LENGTH);
    c.invalid("pv-info-reserved", "X86_PV_INFO reserved bytes not zero",
        edit(pv, p -> replace(p, LIBXC, X86_PV_INFO, rec(X86_PV_INFO, new Le().u8(8).u8(4).u16(0).u32(9).array()))),
        RECORD_RESERVED_NONZERO);

    // ---- emulator records
    c.invalid("emulator-in-pv", "EMULATOR_CONTEXT in a PV image",
        edit(pv, p -> before(p, LIBXL, LIBXL_END, emulatorContext(2, 0, GuestImageWriter.QEVM, 1000))),
        EMULATOR_NOT_HVM);
    c.invalid("emulator-in-pvh", "EMULATOR_CONTEXT for a PVH guest (libxl restore refuses it for non-HVM)",
        edit(Bases::pvh, p -> before(p, LIBXL, LIBXL_END, emulatorContext(2, 0, GuestImageWriter.QEVM, 1000))),
        EMULATOR_PVH);
    c.invalid("libvirt-emulator-in-pvh", "libvirt",
        "EMULATOR_CONTEXT in a libvirt image whose XML says <type>xenpvh</type>",
        edit(b -> b.libvirt().withKind(Kind.PVH),
            p -> before(p, LIBXL, LIBXL_END, emulatorContext(2, 0, GuestImageWriter.QEVM, 1000))),
        EMULATOR_PVH);
    c.invalid("emulator-bad-id", "EMULATOR_CONTEXT emulator_id 3",
        edit(hvm, p -> replace(p, LIBXL, EMULATOR_CONTEXT, emulatorContext(3, 0, GuestImageWriter.QEVM, 1000))),
        EMULATOR_BAD_ID);
    c.valid("emulator-unknown-id", "EMULATOR_CONTEXT emulator_id 0 outside a converted stream",
        edit(hvm, p -> replace(p, LIBXL, EMULATOR_CONTEXT, emulatorContext(0, 0, GuestImageWriter.QEVM, 1000))),
        EMULATOR_UNKNOWN_ID);
    c.valid("emulator-index-nonzero", "EMULATOR_CONTEXT index 1",
        edit(hvm, p -> replace(p, LIBXL, EMULATOR_CONTEXT, emulatorContext(2, 1, GuestImageWriter.QEVM, 1000))),
        EMULATOR_INDEX_NONZERO);
    c.valid("emulator-no-qevm", "qemu-upstream EMULATOR_CONTEXT without the QEVM magic",
        edit(hvm, p -> replace(p, LIBXL, EMULATOR_CONTEXT, emulatorContext(2, 0, new byte[8], 1000))),
        EMULATOR_CONTEXT_NO_QEVM);
    c.invalid("emulator-short", "EMULATOR_CONTEXT of 4 bytes (no room for its sub-header)",
        edit(hvm, p -> replace(p, LIBXL, EMULATOR_CONTEXT, lrec(EMULATOR_CONTEXT, new byte[] {2, 0, 0, 0}))),
        RECORD_LENGTH);
    c.invalid("xenstore-not-nul-terminated", "EMULATOR_XENSTORE_DATA whose last byte is not NUL",
        edit(physmap, p -> replace(p, LIBXL, EMULATOR_XENSTORE_DATA, lrec(EMULATOR_XENSTORE_DATA,
            new Le().u32(2).u32(0).bytes("physmap/f0000000/name\0vga.vram".getBytes(StandardCharsets.US_ASCII))
                .array()))), XENSTORE_NOT_NUL_TERMINATED);
    c.invalid("xenstore-odd-strings", "EMULATOR_XENSTORE_DATA with a key and no value",
        edit(physmap, p -> replace(p, LIBXL, EMULATOR_XENSTORE_DATA, xenstore(List.of(
            "physmap/f0000000/start_addr", "f0000000", "physmap/f0000000/size")))), XENSTORE_ODD_STRINGS);
    c.valid("xenstore-bad-key", "EMULATOR_XENSTORE_DATA key with a space",
        edit(physmap, p -> replace(p, LIBXL, EMULATOR_XENSTORE_DATA, xenstore(List.of(
            "physmap/f0000000/start addr", "f0000000")))), XENSTORE_BAD_KEY);

    // ---- libxl structure
    c.invalid("libxc-context-missing", "libxl stream with no LIBXC_CONTEXT",
        edit(hvm, p -> {
          p.parts().removeIf(x -> x.layer().equals(LIBXC) || x.layer().equals(ImagePlan.MEMORY)
              || x.layer().startsWith("libxc_") || x.is(LIBXL, LIBXC_CONTEXT));
        }), LIBXC_CONTEXT_MISSING);
    c.invalid("libxc-context-not-first", "EMULATOR_XENSTORE_DATA before LIBXC_CONTEXT",
        edit(physmap, p -> {
          ImagePlan.Part xs = p.parts().get(at(p, LIBXL, EMULATOR_XENSTORE_DATA));
          remove(p, LIBXL, EMULATOR_XENSTORE_DATA);
          before(p, LIBXL, LIBXC_CONTEXT, xs);
        }), LIBXC_CONTEXT_NOT_FIRST);
    c.invalid("checkpoint-end-unexpected", "CHECKPOINT_END in a stream without checkpoints",
        edit(hvm, p -> before(p, LIBXL, LIBXL_END, ImagePlan.libxl(CHECKPOINT_END, StreamWriter::checkpointEnd))),
        CHECKPOINT_END_UNEXPECTED);
    c.invalid("checkpoint-state", "CHECKPOINT_STATE (COLO back channel) in a save file",
        edit(hvm, p -> before(p, LIBXL, LIBXL_END, lrec(CHECKPOINT_STATE, new Le().u32(0).array()))),
        CHECKPOINT_STATE_IN_STREAM);
    c.invalid("config-type-mismatch", "xl config says pv, the stream is HVM",
        editWith(hvm, (p, s) -> {
          byte[] cfg = GuestImageWriter.xlConfig(s.withKind(Kind.PV));
          replaceXl(p, xl(XL_BYTE_ORDER, 3, 0, 4 + cfg.length, cfg.length, cfg, new byte[0]));
        }), CONFIG_TYPE_MISMATCH);
    c.valid("xen-version-mismatch", "v3 stream whose domain header says Xen 4.12", (b, f, n) -> {
      GuestSpec s = b.hvm();
      ImagePlan p = GuestImageWriter.plan(s);
      replace(p, ImagePlan.LIBXC_DOMAIN_HEADER, -1, domainHeader(DOMAIN_X86_HVM, 12, 0, 4, 12));
      ManifestEntry e = written(s, p, f, n);
      return e.withStream(e.container(), 3, e.guestType(), "4.12");
    }, XEN_VERSION_MISMATCH);
    c.valid("v2-from-new-xen", "v2 stream whose domain header says Xen 4.19", (b, f, n) -> {
      GuestSpec s = b.v2();
      ImagePlan p = GuestImageWriter.plan(s);
      replace(p, ImagePlan.LIBXC_DOMAIN_HEADER, -1, domainHeader(DOMAIN_X86_HVM, 12, 0, 4, 19));
      ManifestEntry e = written(s, p, f, n);
      return e.withStream(e.container(), 2, e.guestType(), "4.19");
    }, XEN_VERSION_MISMATCH);
    c.valid("legacy-converted", "libxl", "output of convert-legacy-stream (legacy bit, Xen 0.1, emulator id 0)",
        (b, f, n) -> {
          GuestSpec s = b.libxl();
          ImagePlan p = new ImagePlan();
          p.add(ImagePlan.part(ImagePlan.LIBXL_HEADER, w -> w.libxlHeader(LIBXL_OPT_LEGACY)));
          p.add(ImagePlan.libxl(LIBXC_CONTEXT, StreamWriter::libxcContext));
          p.add(ImagePlan.part(ImagePlan.LIBXC_IMAGE_HEADER, w -> w.libxcImageHeader(3)));
          p.add(domainHeader(DOMAIN_X86_HVM, 12, 0, 0, 1));
          p.add(ImagePlan.libxc(STATIC_DATA_END, StreamWriter::staticDataEnd));
          p.add(GuestImageWriter.memoryPart(s));
          p.add(rec(X86_TSC_INFO, tsc(0, s.cpu().tscKhz, 0)));
          p.add(rec(HVM_PARAMS, hvmParamsBody(GuestImageWriter.hvmParams(s))));
          p.add(hvmContext(GuestImageWriter.hvmContext(s)));
          p.add(ImagePlan.libxc(END, StreamWriter::libxcEnd));
          p.add(emulatorContext(EMULATOR_UNKNOWN, 0, GuestImageWriter.QEVM, 30_001));
          p.add(ImagePlan.libxl(LIBXL_END, StreamWriter::libxlEnd));
          ManifestEntry e = written(s, p, f, n);
          return e.withStream(e.container(), 3, e.guestType(), "0.1").withPolicies(List.of(), List.of());
        }, LEGACY_CONVERTED);
    c.valid("legacy-mark-mismatch", "libxl", "libxl legacy bit set on a stream from Xen 4.16",
        edit(Bases::libxl, p -> replace(p, ImagePlan.LIBXL_HEADER, -1,
            ImagePlan.part(ImagePlan.LIBXL_HEADER, w -> w.libxlHeader(LIBXL_OPT_LEGACY)))),
        LEGACY_MARK_MISMATCH, LEGACY_CONVERTED);

    // ---- captures, trailers, checkpoints
    c.valid("trailing-data", "8 junk bytes after the final END",
        edit(hvm, p -> p.add(raw("JUNKJUNK".getBytes(StandardCharsets.US_ASCII)))), TRAILING_DATA);
    c.valid("xl-migrate-capture", "xl migrate sender capture: live rounds of PAGE_DATA, then the 44-byte handshake",
        editWith(hvm, (p, s) -> {
          Random r = new Random(s.seed());
          int m = memory(p);
          for (int round = 0; round < 3; round++) {
            long[][] dirty = GuestImageWriter.dirtyBatches(s, r, 1 + round);
            p.insert(m + 1 + round, ImagePlan.part(ImagePlan.MEMORY, w -> {
              for (long[] batch : dirty) {
                w.pageData(batch);
              }
            }));
          }
          p.add(raw(MIGRATE_PERMISSION_TO_GO));
        }), MIGRATE_HANDSHAKE);
    c.valid("handshake-after-bare-libxl", "libxl", "the xl migrate handshake after a bare libxl stream",
        edit(Bases::libxl, p -> p.add(raw(MIGRATE_PERMISSION_TO_GO))), TRAILING_DATA);
    c.valid("remus", "Remus stream: 2 checkpoints, then the primary dies between records of the third",
        (b, f, n) -> {
          GuestSpec s = b.hvm();
          return written(s, GuestImageWriter.checkpointedPlan(s, 2), f, n);
        }, CHECKPOINTED_STREAM, CHECKPOINT_INCOMPLETE);
    c.valid("remus-mid-record", "Remus stream cut in the middle of a later PAGE_DATA record of the third checkpoint",
        (b, f, n) -> {
          GuestSpec s = b.hvm();
          ImagePlan p = GuestImageWriter.checkpointedPlan(s, 2);
          p.add(pageData(0x200, 0x201, 0x202, 0x203)); // so the cut record is not the checkpoint's first
          WrittenImage w = p.write(f);
          long cut = w.last("libxc:PAGE_DATA").offset() + 8 + 8 * 3 + 5;
          truncate(f, cut);
          return ManifestEntry.of(n, s, w).withSize(cut, w.pagesWithin(cut));
        }, CHECKPOINTED_STREAM, CHECKPOINT_INCOMPLETE);
    c.valid("remus-cut-after-checkpoint-end", "Remus stream cut inside the first record after a CHECKPOINT_END",
        (b, f, n) -> {
          GuestSpec s = b.hvm();
          WrittenImage w = GuestImageWriter.checkpointedPlan(s, 2).write(f);
          long cut = w.last("libxl:CHECKPOINT_END").end() + 8 + 8 * 3 + 5;
          truncate(f, cut);
          return ManifestEntry.of(n, s, w).withSize(cut, w.pagesWithin(cut));
        }, CHECKPOINTED_STREAM, CHECKPOINT_INCOMPLETE);
    c.valid("remus-at-checkpoint-end", "Remus stream that stops right after a CHECKPOINT_END",
        (b, f, n) -> {
          GuestSpec s = b.hvm();
          ImagePlan p = GuestImageWriter.checkpointedPlan(s, 2);
          p.remove(p.parts().size() - 1);
          return written(s, p, f, n);
        }, CHECKPOINTED_STREAM);
    c.invalid("checkpoint-end-missing", "libxl END right after a libxc CHECKPOINT",
        (b, f, n) -> {
          GuestSpec s = b.hvm();
          ImagePlan p = GuestImageWriter.checkpointedPlan(s, 1);
          int ce = p.require(LIBXL, CHECKPOINT_END);
          p.parts().subList(ce, p.parts().size()).clear();
          p.add(ImagePlan.libxl(LIBXL_END, StreamWriter::libxlEnd));
          return written(s, p, f, n);
        }, CHECKPOINT_END_MISSING);
    return List.copyOf(c.list);
  }
}
