package xenaudit.sample;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import xenaudit.format.CpuidLeaf;
import xenaudit.format.MsrEntry;

/**
 * Low-level writer of the Xen save/migration image structures (format doc §2, §3) onto an {@link
 * ImageSink}. It writes exactly what it is told, so it can write wrong things on purpose: every
 * header field, every record length and every padding byte can be overridden. Page payload is
 * written as holes unless bytes are given.
 *
 * <p>Byte order: the libxl header and the libxc image header are big-endian; everything else
 * (xl header, libvirt header, domain header, record headers and bodies) is little-endian. Record
 * bodies are padded with zeros to a multiple of 8.
 *
 * <p>Every structure written is recorded as a {@link Mark}.
 */
public final class StreamWriter {
  public static final byte[] XL_MAGIC =
      "Xen saved domain, xl format\n \0 \r".getBytes(StandardCharsets.ISO_8859_1);
  public static final long XL_BYTE_ORDER = 0x01020304L;
  public static final long XL_FLAG_JSON = 1;
  public static final long XL_FLAG_STREAM_V2 = 2;
  public static final byte[] LIBVIRT_MAGIC = "libvirt-xml\n \0 \r".getBytes(StandardCharsets.ISO_8859_1);
  public static final long LIBXL_IDENT = 0x4c6962786c466d74L;
  public static final long LIBXL_VERSION = 2;
  public static final long LIBXL_OPT_BIG_ENDIAN = 1;
  public static final long LIBXL_OPT_LEGACY = 2;
  public static final long LIBXC_MARKER = 0xFFFFFFFFFFFFFFFFL;
  public static final long LIBXC_ID = 0x58454E46L;
  public static final int LIBXC_OPT_BIG_ENDIAN = 1;
  public static final long DOMAIN_X86_PV = 1;
  public static final long DOMAIN_X86_HVM = 2;
  public static final int PAGE_SHIFT = 12;
  public static final int PAGE_SIZE = 4096;
  /** The xl migrate "go" message, NUL included (44 bytes). */
  public static final byte[] MIGRATE_PERMISSION_TO_GO =
      "domain is yours, you are cleared to unpause\0".getBytes(StandardCharsets.ISO_8859_1);

  // libxc record types (§3.2)
  public static final long END = 0x00;
  public static final long PAGE_DATA = 0x01;
  public static final long X86_PV_INFO = 0x02;
  public static final long X86_PV_P2M_FRAMES = 0x03;
  public static final long X86_PV_VCPU_BASIC = 0x04;
  public static final long X86_PV_VCPU_EXTENDED = 0x05;
  public static final long X86_PV_VCPU_XSAVE = 0x06;
  public static final long SHARED_INFO = 0x07;
  public static final long X86_TSC_INFO = 0x08;
  public static final long HVM_CONTEXT = 0x09;
  public static final long HVM_PARAMS = 0x0A;
  public static final long TOOLSTACK = 0x0B;
  public static final long X86_PV_VCPU_MSRS = 0x0C;
  public static final long VERIFY = 0x0D;
  public static final long CHECKPOINT = 0x0E;
  public static final long CHECKPOINT_DIRTY_PFN_LIST = 0x0F;
  public static final long STATIC_DATA_END = 0x10;
  public static final long X86_CPUID_POLICY = 0x11;
  public static final long X86_MSR_POLICY = 0x12;

  // libxl record types (§3.9)
  public static final long LIBXL_END = 0x00;
  public static final long LIBXC_CONTEXT = 0x01;
  public static final long EMULATOR_XENSTORE_DATA = 0x02;
  public static final long EMULATOR_CONTEXT = 0x03;
  public static final long CHECKPOINT_END = 0x04;
  public static final long CHECKPOINT_STATE = 0x05;

  /** Emulator ids of the emulator sub-header. */
  public static final long EMULATOR_UNKNOWN = 0;
  public static final long EMULATOR_QEMU_TRADITIONAL = 1;
  public static final long EMULATOR_QEMU_UPSTREAM = 2;

  /** PAGE_DATA type nibbles (bits 60-63 of a pfn entry). */
  public static final int PAGE_NOTAB = 0x0;
  public static final int PAGE_L1TAB = 0x1;
  public static final int PAGE_L2TAB = 0x2;
  public static final int PAGE_L3TAB = 0x3;
  public static final int PAGE_L4TAB = 0x4;
  public static final int PAGE_PINNED = 0x8;
  public static final int PAGE_BROKEN = 0xD;
  public static final int PAGE_XALLOC = 0xE;
  public static final int PAGE_XTAB = 0xF;

  private static final Map<Long, String> LIBXC_NAMES = Map.ofEntries(
      Map.entry(END, "END"), Map.entry(PAGE_DATA, "PAGE_DATA"), Map.entry(X86_PV_INFO, "X86_PV_INFO"),
      Map.entry(X86_PV_P2M_FRAMES, "X86_PV_P2M_FRAMES"), Map.entry(X86_PV_VCPU_BASIC, "X86_PV_VCPU_BASIC"),
      Map.entry(X86_PV_VCPU_EXTENDED, "X86_PV_VCPU_EXTENDED"), Map.entry(X86_PV_VCPU_XSAVE, "X86_PV_VCPU_XSAVE"),
      Map.entry(SHARED_INFO, "SHARED_INFO"), Map.entry(X86_TSC_INFO, "X86_TSC_INFO"),
      Map.entry(HVM_CONTEXT, "HVM_CONTEXT"), Map.entry(HVM_PARAMS, "HVM_PARAMS"), Map.entry(TOOLSTACK, "TOOLSTACK"),
      Map.entry(X86_PV_VCPU_MSRS, "X86_PV_VCPU_MSRS"), Map.entry(VERIFY, "VERIFY"), Map.entry(CHECKPOINT, "CHECKPOINT"),
      Map.entry(CHECKPOINT_DIRTY_PFN_LIST, "CHECKPOINT_DIRTY_PFN_LIST"), Map.entry(STATIC_DATA_END, "STATIC_DATA_END"),
      Map.entry(X86_CPUID_POLICY, "X86_CPUID_POLICY"), Map.entry(X86_MSR_POLICY, "X86_MSR_POLICY"));
  private static final Map<Long, String> LIBXL_NAMES = Map.of(
      LIBXL_END, "END", LIBXC_CONTEXT, "LIBXC_CONTEXT", EMULATOR_XENSTORE_DATA, "EMULATOR_XENSTORE_DATA",
      EMULATOR_CONTEXT, "EMULATOR_CONTEXT", CHECKPOINT_END, "CHECKPOINT_END", CHECKPOINT_STATE, "CHECKPOINT_STATE");

  private static final int RECORD_HEADER = 8;
  private static final byte[] ZEROS = new byte[8];

  /** Writes the bytes of one record body; must write exactly the length it was declared with. */
  @FunctionalInterface
  public interface BodyWriter {
    void write(ImageSink sink) throws IOException;
  }

  private final ImageSink sink;
  private final List<Mark> marks = new ArrayList<>();
  private boolean marking = true;
  private long pagesWritten;

  public StreamWriter(ImageSink sink) {
    this.sink = sink;
  }

  public ImageSink sink() {
    return sink;
  }

  public long position() {
    return sink.position();
  }

  /** Structures written so far, in order. */
  public List<Mark> marks() {
    return Collections.unmodifiableList(marks);
  }

  /** Data-carrying PAGE_DATA entries written so far (by {@link #pageData}). */
  public long pagesWritten() {
    return pagesWritten;
  }

  /** Turns mark recording on or off (a 64 GiB guest writes 16k PAGE_DATA records). */
  public void marking(boolean on) {
    marking = on;
  }

  private void mark(String kind, long offset, long pages) {
    if (marking) {
      marks.add(new Mark(kind, offset, sink.position() - offset, pages));
    }
  }

  public static String libxcName(long type) {
    String n = LIBXC_NAMES.get(type);
    return n != null ? n : String.format("0x%08X", type);
  }

  public static String libxlName(long type) {
    String n = LIBXL_NAMES.get(type);
    return n != null ? n : String.format("0x%08X", type);
  }

  // ------------------------------------------------------------------ raw

  /** Writes bytes as they are (a {@code raw} mark). */
  public StreamWriter raw(byte[] bytes) throws IOException {
    long at = position();
    sink.write(bytes);
    mark("raw", at, 0);
    return this;
  }

  /** Writes {@code n} zero bytes as a hole. */
  public StreamWriter hole(long n) throws IOException {
    sink.hole(n);
    return this;
  }

  // ------------------------------------------------------------------ xl container (§2.1)

  /** Writes the 48-byte xl save-file header with every field given (little-endian). */
  public StreamWriter xlHeader(byte[] magic, long byteOrder, long mandatoryFlags, long optionalFlags,
      long optionalDataLen) throws IOException {
    long at = position();
    sink.write(new Le(48).bytes(magic).u32(byteOrder).u32(mandatoryFlags).u32(optionalFlags)
        .u32(optionalDataLen).array());
    mark("xl_header", at, 0);
    return this;
  }

  /** Writes the xl optional data: u32 config_len, the config bytes, then any extra bytes. */
  public StreamWriter xlOptionalData(long configLen, byte[] config, byte[] extra) throws IOException {
    long at = position();
    sink.write(new Le(4 + config.length + extra.length).u32(configLen).bytes(config).bytes(extra).array());
    mark("xl_optional_data", at, 0);
    return this;
  }

  /**
   * Writes what current xl writes: header with mandatory flags STREAMv2 plus JSON when there is a
   * config, optional data = config_len + config. {@code config} must already end in its NUL.
   */
  public StreamWriter xlSaveHeader(byte[] config) throws IOException {
    long flags = XL_FLAG_STREAM_V2 | (config.length > 0 ? XL_FLAG_JSON : 0);
    xlHeader(XL_MAGIC, XL_BYTE_ORDER, flags, 0, 4L + config.length);
    return xlOptionalData(config.length, config, new byte[0]);
  }

  // ------------------------------------------------------------------ libvirt container (§1.2)

  /** Writes the 64-byte libvirt save-image header; {@code unused} is padded/cut to 40 bytes. */
  public StreamWriter libvirtHeader(byte[] magic, long version, long xmlLen, byte[] unused) throws IOException {
    long at = position();
    byte[] pad = new byte[40];
    System.arraycopy(unused, 0, pad, 0, Math.min(40, unused.length));
    sink.write(new Le(64).bytes(magic).u32(version).u32(xmlLen).bytes(pad).array());
    mark("libvirt_header", at, 0);
    return this;
  }

  public StreamWriter libvirtXml(byte[] xml) throws IOException {
    long at = position();
    sink.write(xml);
    mark("libvirt_xml", at, 0);
    return this;
  }

  /** Header (version 2) and the XML, NUL-terminated as libvirt writes it. */
  public StreamWriter libvirt(String xml) throws IOException {
    byte[] x = (xml + "\0").getBytes(StandardCharsets.UTF_8);
    libvirtHeader(LIBVIRT_MAGIC, 2, x.length, new byte[0]);
    return libvirtXml(x);
  }

  // ------------------------------------------------------------------ libxl stream (§2.2, §3.9)

  /** Writes the 16-byte libxl stream header (big-endian). */
  public StreamWriter libxlHeader(long ident, long version, long options) throws IOException {
    long at = position();
    sink.write(new Le(16).u64be(ident).u32be(version).u32be(options).array());
    mark("libxl_header", at, 0);
    return this;
  }

  public StreamWriter libxlHeader(long options) throws IOException {
    return libxlHeader(LIBXL_IDENT, LIBXL_VERSION, options);
  }

  public StreamWriter libxlRecord(long type, byte[] body) throws IOException {
    return libxlRecord(type, body, -1, null);
  }

  /**
   * Writes a libxl record.
   *
   * @param lengthField the length to declare, or -1 for {@code body.length}
   * @param padding the bytes to write after the body, or null for the zero padding to 8
   */
  public StreamWriter libxlRecord(long type, byte[] body, long lengthField, byte[] padding) throws IOException {
    return record("libxl:" + libxlName(type), type, body.length, lengthField, padding, s -> s.write(body), 0);
  }

  public StreamWriter libxcContext() throws IOException {
    return libxlRecord(LIBXC_CONTEXT, new byte[0]);
  }

  public StreamWriter libxlEnd() throws IOException {
    return libxlRecord(LIBXL_END, new byte[0]);
  }

  public StreamWriter checkpointEnd() throws IOException {
    return libxlRecord(CHECKPOINT_END, new byte[0]);
  }

  /** EMULATOR_XENSTORE_DATA: emulator sub-header, then each string NUL-terminated (key, value, ...). */
  public StreamWriter emulatorXenstoreData(long emulatorId, long index, List<String> strings) throws IOException {
    Le b = new Le().u32(emulatorId).u32(index);
    for (String s : strings) {
      b.bytes(s.getBytes(StandardCharsets.UTF_8)).u8(0);
    }
    return libxlRecord(EMULATOR_XENSTORE_DATA, b.array());
  }

  /**
   * EMULATOR_CONTEXT: emulator sub-header, {@code head} (e.g. QEMU's "QEVM" magic and version), then
   * {@code zeros} bytes written as a hole.
   */
  public StreamWriter emulatorContext(long emulatorId, long index, byte[] head, long zeros) throws IOException {
    byte[] sub = new Le(8).u32(emulatorId).u32(index).array();
    return record("libxl:EMULATOR_CONTEXT", EMULATOR_CONTEXT, 8L + head.length + zeros, -1, null, s -> {
      s.write(sub);
      s.write(head);
      s.hole(zeros);
    }, 0);
  }

  // ------------------------------------------------------------------ libxc stream (§2.3, §2.4)

  /** Writes the 24-byte libxc image header (big-endian) with every field given. */
  public StreamWriter libxcImageHeader(long marker, long id, long version, int options, int reserved16,
      long reserved32) throws IOException {
    long at = position();
    sink.write(new Le(24).u64be(marker).u32be(id).u32be(version).u16be(options).u16be(reserved16)
        .u32be(reserved32).array());
    mark("libxc_image_header", at, 0);
    return this;
  }

  public StreamWriter libxcImageHeader(long version) throws IOException {
    return libxcImageHeader(LIBXC_MARKER, LIBXC_ID, version, 0, 0, 0);
  }

  /** Writes the 16-byte domain header (little-endian). */
  public StreamWriter domainHeader(long type, int pageShift, int reserved, long xenMajor, long xenMinor)
      throws IOException {
    long at = position();
    sink.write(new Le(16).u32(type).u16(pageShift).u16(reserved).u32(xenMajor).u32(xenMinor).array());
    mark("libxc_domain_header", at, 0);
    return this;
  }

  public StreamWriter domainHeader(long type, long xenMajor, long xenMinor) throws IOException {
    return domainHeader(type, PAGE_SHIFT, 0, xenMajor, xenMinor);
  }

  public StreamWriter libxcRecord(long type, byte[] body) throws IOException {
    return libxcRecord(type, body, -1, null);
  }

  /**
   * Writes a libxc record.
   *
   * @param lengthField the length to declare, or -1 for {@code body.length}
   * @param padding the bytes to write after the body, or null for the zero padding to 8
   */
  public StreamWriter libxcRecord(long type, byte[] body, long lengthField, byte[] padding) throws IOException {
    return record("libxc:" + libxcName(type), type, body.length, lengthField, padding, s -> s.write(body), 0);
  }

  /** A libxc record whose body is produced by {@code body} (which may write holes). */
  public StreamWriter libxcRecord(long type, long bodyLength, BodyWriter body) throws IOException {
    return record("libxc:" + libxcName(type), type, bodyLength, -1, null, body, 0);
  }

  public StreamWriter libxcEnd() throws IOException {
    return libxcRecord(END, new byte[0]);
  }

  public StreamWriter staticDataEnd() throws IOException {
    return libxcRecord(STATIC_DATA_END, new byte[0]);
  }

  public StreamWriter checkpoint() throws IOException {
    return libxcRecord(CHECKPOINT, new byte[0]);
  }

  public StreamWriter verify() throws IOException {
    return libxcRecord(VERIFY, new byte[0]);
  }

  private StreamWriter record(String kind, long type, long bodyLength, long lengthField, byte[] padding,
      BodyWriter body, long pages) throws IOException {
    long at = position();
    long declared = lengthField >= 0 ? lengthField : bodyLength;
    sink.write(new Le(8).u32(type).u32(declared).array());
    long bodyAt = position();
    body.write(sink);
    long wrote = position() - bodyAt;
    if (wrote != bodyLength) {
      throw new IllegalStateException(kind + ": body wrote " + wrote + " bytes, declared " + bodyLength);
    }
    if (padding != null) {
      sink.write(padding);
    } else {
      sink.write(ZEROS, 0, (int) (-bodyLength & 7));
    }
    mark(kind, at, pages);
    return this;
  }

  // ------------------------------------------------------------------ PAGE_DATA (§3.3)

  /** A pfn entry: pfn in bits 0-51, type nibble in bits 60-63. */
  public static long pfnEntry(long pfn, int type) {
    return pfn | ((long) type << 60);
  }

  /** Whether a type nibble carries a page of data (NOTAB, L1-L4, pinned L1-L4). */
  public static boolean carriesData(int type) {
    return type >= 0 && type <= 4 || type >= 9 && type <= 0xC;
  }

  /** Data-carrying entries of a pfn array. */
  public static long dataPages(long[] entries) {
    long n = 0;
    for (long e : entries) {
      if (carriesData((int) (e >>> 60))) {
        n++;
      }
    }
    return n;
  }

  /** A valid PAGE_DATA record: count = entries, one page (a hole) per data-carrying entry. */
  public StreamWriter pageData(long[] entries) throws IOException {
    return pageData(entries, entries.length, 0, -1, dataPages(entries), null);
  }

  /**
   * Writes a PAGE_DATA record.
   *
   * @param count the count field (normally {@code entries.length})
   * @param reserved the u32 after count (normally 0)
   * @param lengthField the length to declare, or -1 for what is written
   * @param payloadPages how many pages of payload to write (normally {@link #dataPages})
   * @param pages the payload, one array per page (any length), or null for 4096-byte holes
   */
  public StreamWriter pageData(long[] entries, long count, long reserved, long lengthField, long payloadPages,
      byte[][] pages) throws IOException {
    long payloadBytes = 0;
    if (pages != null) {
      for (byte[] p : pages) {
        payloadBytes += p.length;
      }
    } else {
      payloadBytes = payloadPages * PAGE_SIZE;
    }
    long bodyLength = 8L + 8L * entries.length + payloadBytes;
    long[] pfnsAt = new long[2];
    long[] payloadAt = new long[2];
    long at = position();
    boolean was = marking;
    marking = false;
    record("libxc:PAGE_DATA", PAGE_DATA, bodyLength, lengthField, null, s -> {
      ByteBuffer h = ByteBuffer.allocate(8 + 8 * entries.length).order(ByteOrder.LITTLE_ENDIAN);
      h.putInt((int) count).putInt((int) reserved);
      h.asLongBuffer().put(entries);
      pfnsAt[0] = s.position() + 8;
      s.write(h.array());
      pfnsAt[1] = s.position();
      payloadAt[0] = s.position();
      if (pages != null) {
        for (byte[] p : pages) {
          s.write(p);
        }
      } else {
        s.hole(payloadPages * PAGE_SIZE);
      }
      payloadAt[1] = s.position();
    }, 0);
    marking = was;
    long carrying = dataPages(entries);
    pagesWritten += carrying;
    if (marking) {
      marks.add(new Mark("libxc:PAGE_DATA", at, position() - at, carrying));
      marks.add(new Mark("page_data_pfns", pfnsAt[0], pfnsAt[1] - pfnsAt[0], 0));
      marks.add(new Mark("page_data_payload", payloadAt[0], payloadAt[1] - payloadAt[0], 0));
    }
    return this;
  }

  // ------------------------------------------------------------------ policies (§3.4, §3.5)

  public static byte[] cpuidBody(List<CpuidLeaf> leaves) {
    Le b = new Le(leaves.size() * CpuidLeaf.SIZE);
    for (CpuidLeaf l : leaves) {
      b.u32(l.leaf()).u32(l.subleaf()).u32(l.eax()).u32(l.ebx()).u32(l.ecx()).u32(l.edx());
    }
    return b.array();
  }

  /** X86_MSR_POLICY body: u32 idx, u32 flags, u64 val per entry ("IIQ", not the verifier's "QII"). */
  public static byte[] msrBody(List<MsrEntry> entries) {
    Le b = new Le(entries.size() * MsrEntry.SIZE);
    for (MsrEntry e : entries) {
      b.u32(e.index()).u32(e.flags()).u64(e.value());
    }
    return b.array();
  }

  public StreamWriter cpuidPolicy(List<CpuidLeaf> leaves) throws IOException {
    return libxcRecord(X86_CPUID_POLICY, cpuidBody(leaves));
  }

  public StreamWriter msrPolicy(List<MsrEntry> entries) throws IOException {
    return libxcRecord(X86_MSR_POLICY, msrBody(entries));
  }

  // ------------------------------------------------------------------ common and HVM records

  /** X86_TSC_INFO: u32 mode, u32 khz, u64 nsec, u32 incarnation, u32 reserved. */
  public StreamWriter tscInfo(long mode, long khz, long nsec, long incarnation) throws IOException {
    return libxcRecord(X86_TSC_INFO, new Le(24).u32(mode).u32(khz).u64(nsec).u32(incarnation).u32(0).array());
  }

  /** HVM_CONTEXT with a blob built by {@link HvmContextBuilder}. */
  public StreamWriter hvmContext(byte[] blob) throws IOException {
    return libxcRecord(HVM_CONTEXT, blob);
  }

  /** HVM_PARAMS: u32 count, u32 reserved, then {u64 index, u64 value} per param. */
  public static byte[] hvmParamsBody(long[][] params) {
    Le b = new Le(8 + 16 * params.length).u32(params.length).u32(0);
    for (long[] p : params) {
      b.u64(p[0]).u64(p[1]);
    }
    return b.array();
  }

  public StreamWriter hvmParams(long[][] params) throws IOException {
    return libxcRecord(HVM_PARAMS, hvmParamsBody(params));
  }

  // ------------------------------------------------------------------ PV records

  /** X86_PV_INFO: u8 guest_width, u8 pt_levels, 6 reserved bytes. */
  public StreamWriter pvInfo(int guestWidth, int ptLevels) throws IOException {
    return libxcRecord(X86_PV_INFO, new Le(8).u8(guestWidth).u8(ptLevels).u16(0).u32(0).array());
  }

  /** Number of P2M frames the C restorer requires for pfns start..end at the given width. */
  public static long p2mFrameCount(long startPfn, long endPfn, int guestWidth) {
    long fpp = PAGE_SIZE / guestWidth;
    return endPfn / fpp - startPfn / fpp + 1;
  }

  /** X86_PV_P2M_FRAMES: u32 start, u32 end, then u64 frame pfns. */
  public StreamWriter p2mFrames(long startPfn, long endPfn, long[] frames) throws IOException {
    Le b = new Le(8 + 8 * frames.length).u32(startPfn).u32(endPfn);
    for (long f : frames) {
      b.u64(f);
    }
    return libxcRecord(X86_PV_P2M_FRAMES, b.array());
  }

  /** A PV vCPU record: u32 vcpu_id, u32 reserved, then {@code blob}. */
  public StreamWriter pvVcpu(long type, long vcpuId, byte[] blob) throws IOException {
    return libxcRecord(type, new Le(8 + blob.length).u32(vcpuId).u32(0).bytes(blob).array());
  }

  /** A PV vCPU record whose blob is {@code head} followed by zeros (written as a hole). */
  public StreamWriter pvVcpu(long type, long vcpuId, byte[] head, long zeros) throws IOException {
    byte[] h = new Le(8 + head.length).u32(vcpuId).u32(0).bytes(head).array();
    return libxcRecord(type, h.length + zeros, s -> {
      s.write(h);
      s.hole(zeros);
    });
  }

  /** SHARED_INFO: one page, here written as a hole after {@code head}. */
  public StreamWriter sharedInfo(byte[] head) throws IOException {
    return libxcRecord(SHARED_INFO, PAGE_SIZE, s -> {
      s.write(head);
      s.hole(PAGE_SIZE - head.length);
    });
  }
}
