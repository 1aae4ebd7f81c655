package xenaudit.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * Entry point of the format core: detects the container from the first bytes, reads every header
 * and record, and returns an {@link ImageReport}. It never throws for anything an input can do:
 * truncation, garbage, hostile lengths and I/O errors all end as located findings.
 *
 * <p>Containers: xl save file ({@link XlHeader}), libvirt save image ({@link LibvirtHeader}), bare
 * libxl stream ({@link LibxlHeader}), bare libxc stream ({@link ImageHeader}), and pre-v2 legacy
 * images, which are recognised and reported, not read.
 */
public final class ImageReader {
  /** Bytes that tell the containers apart. */
  static final int PROBE_SIZE = 8;

  static final byte[] MIGRATE_HANDSHAKE =
      "domain is yours, you are cleared to unpause\0".getBytes(StandardCharsets.ISO_8859_1);
  /** A legacy libxc stream starts with a u64 p2m_size; no real guest has more pfns than this. */
  static final long LEGACY_MAX_P2M_SIZE = 1L << 40;
  /** Legacy extended-info chunk marker after p2m_size (the C saver writes ~0UL as u32 -1). */
  static final int LEGACY_EXT_INFO_MARKER = -1;

  private final ReadContext ctx;
  private final ImageReport report;
  private LibxlReader libxl;
  private LibxcReader bareLibxc;

  private ImageReader(ReadContext ctx) {
    this.ctx = ctx;
    this.report = ctx.report;
  }

  /** Audits a local file; a missing or unreadable file gives an {@code unreadable} report. */
  public static ImageReport read(Path file, ReadOptions options) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      return read(file.toString(), ByteSource.of(ch), options);
    } catch (IOException | SecurityException e) {
      return unreadable(file.toString(), e, options);
    }
  }

  public static ImageReport read(Path file) {
    return read(file, ReadOptions.DEFAULTS);
  }

  /**
   * Audits the image on a channel positioned at its first byte. A seekable channel has its page
   * payload skipped by position; any other is read through with bounded skips. The caller closes
   * the channel.
   */
  public static ImageReport read(String source, ReadableByteChannel channel, ReadOptions options) {
    try {
      return read(source, ByteSource.of(channel), options);
    } catch (IOException e) {
      return unreadable(source, e, options);
    }
  }

  /** As above, over a prepared source (e.g. a streaming decompressor of unknown size). */
  public static ImageReport read(String source, ByteSource in, ReadOptions options) {
    return read(source, in, options, RecordObserver.NONE);
  }

  /** As above, telling {@code observer} of every header and record as it is read. */
  public static ImageReport read(String source, ByteSource in, ReadOptions options, RecordObserver observer) {
    ImageReport report = new ImageReport(source, options.maxFindings());
    report.sizeBytes = in.size();
    if (options.readPagePayload()) {
      report.payloadBytes = 0;
      in.readThrough(true);
    }
    in.seekThreshold(options.seekThreshold());
    ImageReader reader = new ImageReader(new ReadContext(in, options, report, observer));
    try {
      reader.readImage();
    } catch (EndOfInput e) {
      reader.endOfInput(e);
    } catch (IOException e) {
      report.add(new Finding(FindingCode.READ_ERROR, "read failed at offset " + in.position() + ": " + e,
          in.position(), -1, "input", Layer.XL));
    } catch (RuntimeException | StackOverflowError e) {
      report.internalError = true;
      report.add(new Finding(FindingCode.INTERNAL_ERROR, "reader failed at offset " + in.position() + ": " + e,
          in.position(), -1, "input", Layer.XL));
    }
    if (report.configOffset >= 0 && !report.internalError) {
      PolicyRequestCheck.check(report);
    }
    if (options.readPagePayload() && report.payloadBytes > 0) {
      report.add(new Finding(FindingCode.PAGE_PAYLOAD_CHECKSUM, String.format(
          "read %d bytes of page payload, CRC32C %08x", report.payloadBytes, report.payloadCrc32c()),
          0, -1, "page_payload", Layer.LIBXC));
    }
    report.bytesRead = in.bytesRead();
    return report;
  }

  /** The report for an input that could not be opened or read at all. */
  public static ImageReport unreadable(String source, Throwable why, ReadOptions options) {
    ImageReport report = new ImageReport(source, options.maxFindings());
    report.add(new Finding(FindingCode.READ_ERROR, "cannot read: " + why, 0, -1, "input", Layer.XL));
    return report;
  }

  private void readImage() throws IOException {
    ByteSource src = ctx.source;
    ByteBuffer probe = ByteBuffer.allocate(PROBE_SIZE);
    boolean full = src.readFully(probe);
    byte[] first = Arrays.copyOf(probe.array(), probe.position());
    if (first.length == 0) {
      container(Container.UNKNOWN, FindingCode.EMPTY_INPUT, "the input is empty (0 bytes)");
      return;
    }
    Container c = detect(first);
    if (c == Container.UNKNOWN) {
      container(Container.UNKNOWN, FindingCode.NOT_XEN_IMAGE,
          "first bytes " + hex(first) + " match no xl, libvirt, libxl or libxc header");
      return;
    }
    report.container = c;
    if (!full) {
      throw new EndOfInput(0);
    }
    switch (c) {
      case XL -> readXl(first);
      case LIBVIRT -> readLibvirt(first);
      case LIBXL -> {
        src.unread(first);
        libxl = new LibxlReader(ctx);
        finish(libxl.read(), Layer.LIBXL);
      }
      case LIBXC -> {
        src.unread(first);
        bareLibxc = new LibxcReader(ctx, false);
        StreamOutcome o = bareLibxc.readHeaders(false);
        finish(o == StreamOutcome.STOP ? o : bareLibxc.readRecords(), Layer.LIBXC);
      }
      case LEGACY -> container(Container.LEGACY, FindingCode.LEGACY_IMAGE,
          "a pre-v2 (Xen <= 4.5) libxc stream (p2m_size, extended info): convert it with convert-legacy-stream");
      default -> throw new IllegalStateException(c.name());
    }
  }

  /**
   * Container from the first bytes. A prefix shorter than the probe that is the start of a known
   * magic counts as that container (then reported as truncated).
   */
  private Container detect(byte[] first) {
    if (startsLike(first, XlHeader.MAGIC)) {
      return Container.XL;
    }
    if (startsLike(first, LibvirtHeader.MAGIC)) {
      return Container.LIBVIRT;
    }
    if (startsLike(first, longBytes(LibxlHeader.IDENT))) {
      return Container.LIBXL;
    }
    if (startsLike(first, longBytes(ImageHeader.MARKER))) {
      return Container.LIBXC;
    }
    if (first.length == PROBE_SIZE) {
      long p2mSize = ByteBuffer.wrap(first).order(ByteOrder.LITTLE_ENDIAN).getLong();
      if (p2mSize > 0 && p2mSize <= LEGACY_MAX_P2M_SIZE && looksLegacy()) {
        return Container.LEGACY;
      }
    }
    return Container.UNKNOWN;
  }

  /** After a plausible p2m_size, a legacy libxc stream has its extended-info marker. */
  private boolean looksLegacy() {
    try {
      ByteBuffer b = ByteBuffer.allocate(4);
      return ctx.source.readFully(b) && b.flip().order(ByteOrder.LITTLE_ENDIAN).getInt() == LEGACY_EXT_INFO_MARKER;
    } catch (IOException e) {
      return false;
    }
  }

  private void readXl(byte[] first) throws IOException {
    ctx.at(Layer.XL, -1, "xl_header");
    ByteBuffer h = ByteBuffer.allocate(XlHeader.SIZE);
    h.put(first);
    if (!ctx.source.readFully(h)) {
      throw new EndOfInput(0);
    }
    byte[] magic = Arrays.copyOf(h.array(), XlHeader.MAGIC.length);
    if (!Arrays.equals(magic, XlHeader.MAGIC)) {
      report.container = Container.UNKNOWN;
      container(Container.UNKNOWN, FindingCode.NOT_XEN_IMAGE,
          "starts like an xl save file but the 32-byte magic differs: " + hex(magic));
      return;
    }
    XlHeader xl = XlHeader.decode(h);
    long before = ctx.findingCount();
    if (xl.byteOrder() != XlHeader.BYTE_ORDER_MARK) {
      headerFinding(FindingCode.XL_BAD_BYTE_ORDER, String.format(
          "expected byteorder 0x01020304, found 0x%08x%s", xl.byteOrder(),
          xl.byteOrder() == 0x04030201L ? " (saved on a big-endian host)" : ""));
    }
    if ((xl.mandatoryFlags() & ~XlHeader.KNOWN_MANDATORY_FLAGS) != 0) {
      headerFinding(FindingCode.XL_UNKNOWN_MANDATORY_FLAGS, String.format(
          "expected mandatory_flags within 0x3, found 0x%08x; xl refuses unknown mandatory flags", xl.mandatoryFlags()));
    }
    if (xl.optionalFlags() != 0) {
      headerFinding(FindingCode.XL_UNKNOWN_OPTIONAL_FLAGS,
          String.format("expected optional_flags 0, found 0x%08x", xl.optionalFlags()));
    }
    ctx.observe(0, Layer.XL, -1, "xl_header", XlHeader.SIZE, String.format(
        "mandatory_flags 0x%x (%s), optional_data_len %d", xl.mandatoryFlags(), xl.streamV2() ? "stream v2" : "legacy",
        xl.optionalDataLen()), before);
    before = ctx.findingCount();
    long optionalAt = ctx.source.position();
    readXlOptionalData(xl);
    ctx.observe(optionalAt, Layer.XL, -1, "xl_optional_data", xl.optionalDataLen(), configSummary(), before);
    if (!xl.streamV2()) {
      headerFinding(FindingCode.LEGACY_IMAGE,
          "mandatory_flags lacks STREAMv2: a pre-v2 (Xen <= 4.5) image, convert it with convert-legacy-stream");
      report.container = Container.LEGACY;
      return;
    }
    libxl = new LibxlReader(ctx);
    finish(libxl.read(), Layer.LIBXL);
  }

  private void readXlOptionalData(XlHeader xl) throws IOException {
    long start = ctx.source.position();
    ctx.at(Layer.XL, -1, "xl_optional_data");
    long optLen = xl.optionalDataLen();
    if (optLen > ctx.source.remaining()) {
      configFinding(start, FindingCode.TRUNCATED,
          "optional_data_len " + optLen + " but only " + ctx.source.remaining() + " bytes remain");
      throw new EndOfInput(start);
    }
    if (optLen < XlHeader.CONFIG_LEN_SIZE) {
      configFinding(start, FindingCode.XL_NO_CONFIG,
          "optional_data_len " + optLen + " has no room for config_len: the image carries no guest config");
      skipOrTruncate(optLen, start);
      return;
    }
    long configLen = Integer.toUnsignedLong(ctx.read(4, ByteOrder.LITTLE_ENDIAN, start).getInt(0));
    long room = optLen - XlHeader.CONFIG_LEN_SIZE;
    if (configLen > room) {
      configFinding(start, FindingCode.XL_CONFIG_LENGTH,
          "config_len " + configLen + " exceeds the " + room + " bytes of optional data after it");
      skipOrTruncate(room, start);
      return;
    }
    long configAt = ctx.source.position();
    if (configLen > ctx.options.maxConfigBytes()) {
      configFinding(configAt, FindingCode.XL_CONFIG_TOO_LARGE,
          "config of " + configLen + " bytes exceeds the cap of " + ctx.options.maxConfigBytes() + "; not parsed");
      skipOrTruncate(configLen, configAt);
    } else if (configLen > 0) {
      byte[] config = readBytes((int) configLen, configAt);
      parseXlConfig(xl, config, configAt);
    }
    if (room > configLen) {
      configFinding(ctx.source.position(), FindingCode.XL_EXTRA_OPTIONAL_DATA,
          (room - configLen) + " bytes of optional data after the config; xl ignores them");
      skipOrTruncate(room - configLen, ctx.source.position());
    }
  }

  private void parseXlConfig(XlHeader xl, byte[] config, long at) {
    int n = config.length;
    if (!xl.json()) {
      int text = n > 0 && config[n - 1] == 0 ? n - 1 : n;
      report.config = GuestConfigParser.text(config, text);
      configFinding(at, FindingCode.XL_CONFIG_TEXT, "config is xl config-file text (JSON flag clear)");
      return;
    }
    int text = n;
    if (config[n - 1] != 0) {
      configFinding(at, FindingCode.XL_CONFIG_NOT_NUL_TERMINATED, "JSON config of " + n + " bytes does not end in NUL");
    } else {
      text = n - 1;
    }
    try {
      report.config = GuestConfigParser.json(config, text);
      report.configOffset = at;
    } catch (Exception e) {
      String why = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
      configFinding(at, FindingCode.XL_CONFIG_INVALID, "JSON config does not parse: " + why);
    }
  }

  private void readLibvirt(byte[] first) throws IOException {
    ctx.at(Layer.XL, -1, "libvirt_header");
    ByteBuffer h = ByteBuffer.allocate(LibvirtHeader.SIZE);
    h.put(first);
    if (!ctx.source.readFully(h)) {
      throw new EndOfInput(0);
    }
    if (!Arrays.equals(Arrays.copyOf(h.array(), LibvirtHeader.MAGIC.length), LibvirtHeader.MAGIC)) {
      container(Container.UNKNOWN, FindingCode.NOT_XEN_IMAGE,
          "starts like a libvirt save image but the 16-byte magic differs");
      return;
    }
    LibvirtHeader lv = LibvirtHeader.decode(h);
    long before = ctx.findingCount();
    if (!lv.unusedZero()) {
      headerFinding(FindingCode.LIBVIRT_HEADER_RESERVED, "the 40 unused header bytes are not zero");
    }
    long xmlAt = ctx.source.position();
    ctx.at(Layer.XL, -1, "libvirt_xml");
    if (lv.xmlLength() > ctx.source.remaining()) {
      configFinding(xmlAt, FindingCode.TRUNCATED,
          "xmlLen " + lv.xmlLength() + " but only " + ctx.source.remaining() + " bytes remain");
      throw new EndOfInput(xmlAt);
    }
    if (lv.xmlLength() > ctx.options.maxConfigBytes()) {
      configFinding(xmlAt, FindingCode.LIBVIRT_XML_TOO_LARGE,
          "domain XML of " + lv.xmlLength() + " bytes exceeds the cap of " + ctx.options.maxConfigBytes());
      skipOrTruncate(lv.xmlLength(), xmlAt);
    } else {
      byte[] xml = readBytes((int) lv.xmlLength(), xmlAt);
      int n = xml.length;
      while (n > 0 && xml[n - 1] == 0) {
        n--;
      }
      report.config = GuestConfigParser.libvirtXml(xml, n);
      if (report.config.name() == null && report.config.uuid() == null) {
        configFinding(xmlAt, FindingCode.LIBVIRT_XML_INVALID, "domain XML has no <name> or <uuid>");
      }
    }
    ctx.observe(0, Layer.XL, -1, "libvirt_header", LibvirtHeader.SIZE, "version " + lv.version() + ", xml "
        + lv.xmlLength() + " bytes: " + configSummary(), before);
    if (lv.version() == LibvirtHeader.VERSION_LEGACY) {
      headerFinding(FindingCode.LEGACY_IMAGE,
          "libvirt save image version 1 holds a pre-v2 stream: convert it with convert-legacy-stream");
      report.container = Container.LEGACY;
      return;
    }
    if (lv.version() != LibvirtHeader.VERSION_V2) {
      headerFinding(FindingCode.LIBVIRT_BAD_VERSION,
          "expected version 2 (libxl v2 stream), found " + lv.version());
      return;
    }
    libxl = new LibxlReader(ctx);
    finish(libxl.read(), Layer.LIBXL);
  }

  /** After the outermost END: nothing should follow but, in xl migrate captures, the handshake. */
  private void finish(StreamOutcome outcome, Layer layer) throws IOException {
    if (outcome != StreamOutcome.END) {
      return;
    }
    long at = ctx.source.position();
    ByteBuffer b = ByteBuffer.allocate(MIGRATE_HANDSHAKE.length);
    ctx.source.readFully(b);
    int got = b.position();
    if (got == 0) {
      return;
    }
    long more = ctx.source.skip(Long.MAX_VALUE);
    boolean handshake = got == MIGRATE_HANDSHAKE.length && more == 0
        && Arrays.equals(b.array(), MIGRATE_HANDSHAKE);
    if (handshake && report.container == Container.XL) {
      ctx.report(FindingCode.MIGRATE_HANDSHAKE, at, -1, "trailer", layer,
          "the 44-byte xl migrate handshake follows END: a captured migration");
    } else {
      ctx.report(FindingCode.TRAILING_DATA, at, -1, "trailer", layer,
          (got + more) + " bytes after the final END" + (handshake ? " (an xl migrate handshake, outside an xl container)" : ""));
    }
  }

  private void endOfInput(EndOfInput e) {
    long at = e.structureOffset;
    long end = ctx.source.position();
    boolean checkpointDone =
        report.checkpoints > 0 && (bareLibxc != null || libxl != null && libxl.lastCheckpointEnd >= 0);
    if (checkpointDone) {
      // Remus/COLO streams never END: the sender stops; the receiver keeps the last whole checkpoint.
      if (libxl == null || end != libxl.lastCheckpointEnd) {
        ctx.report(FindingCode.CHECKPOINT_INCOMPLETE, at, ctx.recordIndex, ctx.structure, ctx.layer,
            "input ends at byte " + end + " inside a checkpoint" + (e.detail == null ? "" : " (" + e.detail + ")")
                + "; a restore falls back to the last complete one");
      }
      return;
    }
    for (Finding f : report.findings()) {
      if (f.code() == FindingCode.TRUNCATED) {
        return; // already located by the reader that saw the short length
      }
    }
    String what = e.detail != null ? e.detail
        : ctx.structure.equals("record_header") && end == at
            ? "expected another record (the stream has no END)"
            : "the " + ctx.structure + " starting at byte " + at + " is cut off";
    ctx.report(FindingCode.TRUNCATED, at, ctx.recordIndex, ctx.structure, ctx.layer,
        "input ends at byte " + end + ": " + what);
  }

  private void container(Container c, FindingCode code, String message) {
    report.container = c;
    ctx.report(code, 0, -1, "input", Layer.XL, message);
  }

  private String configSummary() {
    GuestConfig c = report.config;
    if (c == GuestConfig.NONE) {
      return "no config read";
    }
    return "guest " + (c.name() == null ? "-" : c.name()) + " (" + (c.uuid() == null ? "-" : c.uuid()) + "), type "
        + (c.type() == null ? "-" : c.type()) + (c.cpuidRequest() != null || c.msrRequest() != null
            ? ", cpuid= request" : "");
  }

  /** A finding about the xl or libvirt header as a whole (offset 0). */
  private void headerFinding(FindingCode code, String message) {
    String what = report.container == Container.LIBVIRT ? "libvirt_header" : "xl_header";
    ctx.report(code, 0, -1, what, Layer.XL, message);
  }

  /** A finding about the stored config: xl optional data or libvirt domain XML. */
  private void configFinding(long at, FindingCode code, String message) {
    String what = report.container == Container.LIBVIRT ? "libvirt_xml" : "xl_optional_data";
    ctx.report(code, at, -1, what, Layer.XL, message);
  }

  private byte[] readBytes(int n, long at) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(n);
    if (!ctx.source.readFully(b)) {
      throw new EndOfInput(at);
    }
    return b.array();
  }

  private void skipOrTruncate(long n, long at) throws IOException {
    if (ctx.source.skip(n) < n) {
      throw new EndOfInput(at);
    }
  }

  private static boolean startsLike(byte[] first, byte[] magic) {
    int n = Math.min(first.length, Math.min(PROBE_SIZE, magic.length));
    return Arrays.equals(first, 0, n, magic, 0, n) && n == first.length;
  }

  private static byte[] longBytes(long v) {
    return ByteBuffer.allocate(8).putLong(v).array();
  }

  private static String hex(byte[] b) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < Math.min(b.length, 16); i++) {
      s.append(String.format("%02x", b[i]));
    }
    return s.toString();
  }
}
