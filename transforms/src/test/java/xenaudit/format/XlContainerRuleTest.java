package xenaudit.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static xenaudit.format.FindingCode.*;
import static xenaudit.format.RuleImages.*;
import static xenaudit.format.Severity.ERROR;
import static xenaudit.format.Severity.INFO;
import static xenaudit.format.Severity.WARNING;
import static xenaudit.sample.StreamWriter.XL_BYTE_ORDER;
import static xenaudit.sample.StreamWriter.XL_FLAG_JSON;
import static xenaudit.sample.StreamWriter.XL_FLAG_STREAM_V2;
import static xenaudit.sample.StreamWriter.XL_MAGIC;

import org.junit.jupiter.api.Test;
import xenaudit.sample.GuestImageWriter;
import xenaudit.sample.GuestSpec;
import xenaudit.sample.ImagePlan;
import xenaudit.sample.StreamWriter;

/**
 * The input as a whole and its container: container detection, legacy images, truncation, what
 * follows the final END, the findings cap, the xl header and config, and the libvirt header.
 *
 * <p>xl findings about the optional data (config) and libvirt findings about the XML are located at
 * the byte where the optional data, the config or the XML starts. The reader names them {@code
 * xl_header} / {@code libvirt_header} although they lie past the header, so their record type is
 * left unchecked here.
 */
class XlContainerRuleTest {
  static final GuestSpec HVM = spec(GuestSpec.Kind.HVM);
  static final byte[] CONFIG = GuestImageWriter.xlConfig(HVM);
  /** xl header (48) + u32 config_len. */
  static final int OPTIONAL_DATA_AT = 48;

  static final int CONFIG_AT = OPTIONAL_DATA_AT + 4;
  /** The mandatory flags of today's xl: STREAMv2 and a JSON config. */
  static final long V2_JSON = XL_FLAG_STREAM_V2 | XL_FLAG_JSON;

  /** The HVM image with its xl header and optional data written field by field. */
  static Plan xl(long byteOrder, long mandatory, long optional, long optionalLen, long configLen, byte[] config,
      byte[] extra) {
    return hvm().replaceHeader(ImagePlan.XL, w -> {
      w.xlHeader(XL_MAGIC, byteOrder, mandatory, optional, optionalLen);
      if (optionalLen >= 4) {
        w.xlOptionalData(configLen, config, extra);
      } else {
        w.raw(extra);
      }
    });
  }

  static Plan xlWithConfig(long mandatory, byte[] config) {
    return xl(XL_BYTE_ORDER, mandatory, 0, 4L + config.length, config.length, config, new byte[0]);
  }

  // ------------------------------------------------------------------ the input as a whole

  @Test
  void emptyInput() {
    Image empty = raw();
    check(empty).has(ERROR, EMPTY_INPUT, 0, -1, "input", Layer.XL).invalid();
    assertEquals(Container.UNKNOWN, empty.read().container());

    check(hvm().write()).lacks(EMPTY_INPUT).clean();
  }

  @Test
  void notXenImage() {
    Image gif = raw(w -> w.raw(ascii("GIF89a\1\0\1\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0")));
    check(gif).has(ERROR, NOT_XEN_IMAGE, 0, -1, "input", Layer.XL).invalid();
    assertEquals(Container.UNKNOWN, gif.read().container());
    // Eight zero bytes: a legacy p2m_size of 0 is no guest.
    check(raw(w -> w.raw(new byte[64]))).has(ERROR, NOT_XEN_IMAGE, 0, -1, "input", Layer.XL).invalid();

    // Starts like the xl magic, differs after the first 8 bytes.
    byte[] magic = XL_MAGIC.clone();
    magic[20] = 'X';
    Image almostXl = hvm().replaceHeader(ImagePlan.XL, w -> w.xlHeader(magic, XL_BYTE_ORDER, V2_JSON, 0, 0)).write();
    check(almostXl).has(ERROR, NOT_XEN_IMAGE, 0, -1, "input", Layer.XL).invalid();

    check(hvm().write()).lacks(NOT_XEN_IMAGE).valid();
  }

  @Test
  void legacyImage() {
    // Bare pre-v2 libxc stream: LE u64 p2m_size, then the u32 -1 extended-info marker.
    Image bare = raw(w -> w.raw(concat(le64(0x40000), le(0xFFFFFFFFL, 8), new byte[40])));
    check(bare).has(ERROR, LEGACY_IMAGE, 0, -1, "input", Layer.XL).invalid();
    assertEquals(Container.LEGACY, bare.read().container());
    // Without the marker the same p2m_size is just unknown bytes.
    check(raw(w -> w.raw(concat(le64(0x40000), le(0, 8), new byte[40])))).lacks(LEGACY_IMAGE).has(ERROR,
        NOT_XEN_IMAGE, 0, -1, "input", Layer.XL);

    // xl header without STREAMv2: a legacy stream follows the config.
    Image xlLegacy = xl(XL_BYTE_ORDER, XL_FLAG_JSON, 0, 4L + CONFIG.length, CONFIG.length, CONFIG,
        concat(le64(0x40000), le(0xFFFFFFFFL))).write();
    check(xlLegacy).has(ERROR, LEGACY_IMAGE, xlLegacy.mark("xl_header")).invalid();
    assertEquals(Container.LEGACY, xlLegacy.read().container());

    check(xlWithConfig(V2_JSON, CONFIG).write()).lacks(LEGACY_IMAGE).clean();
  }

  @Test
  void libvirtLegacyVersion() {
    // Version 1 = a legacy stream after the XML. Located at the version field (16), see the
    // disabled libvirtHeaderFindingsAtTheHeaderStart.
    Image v1 = libvirt(1, new byte[40]).write();
    check(v1).hasIgnoringOffset(ERROR, LEGACY_IMAGE, -1, "libvirt_header", Layer.XL).invalid();
    assertEquals(Container.LEGACY, v1.read().container());
    check(libvirt(2, new byte[40]).write()).lacks(LEGACY_IMAGE).clean();
  }

  @Test
  void truncatedBeforeEnd() {
    Image full = hvm().write();
    // Cut right before libxc END: the next record header is missing.
    long at = full.mark("libxc:END").offset();
    check(full.cut(at)).has(ERROR, TRUNCATED, at, full.indexOf(full.mark("libxc:END")), "record_header", Layer.LIBXC)
        .invalid();
    // Cut before libxl END: the libxc stream is whole, the libxl one is not.
    long lend = full.mark("libxl:END").offset();
    check(full.cut(lend)).has(ERROR, TRUNCATED, lend, full.indexOf(full.mark("libxl:END")), "record_header",
        Layer.LIBXL).invalid();
    // Cut inside a record header.
    check(full.cut(at + 4)).has(ERROR, TRUNCATED, at, full.indexOf(full.mark("libxc:END")), "record_header",
        Layer.LIBXC).invalid();

    check(full).lacks(TRUNCATED).valid();
  }

  @Test
  void truncatedInsideARecordBody() {
    Image full = hvm().write();
    var ctx = full.mark("libxc:HVM_CONTEXT");
    check(full.cut(ctx.offset() + ctx.length() / 2)).has(ERROR, TRUNCATED, ctx).invalid();
    var emu = full.mark("libxl:EMULATOR_CONTEXT");
    check(full.cut(emu.offset() + 12)).has(ERROR, TRUNCATED, emu).invalid();
    // Inside a header: the whole header is the structure that is cut.
    var dh = full.mark("libxc_domain_header");
    check(full.cut(dh.offset() + 10)).has(ERROR, TRUNCATED, dh.offset(), -1, "domain_header", Layer.LIBXC).invalid();
    check(full.cut(20)).has(ERROR, TRUNCATED, 0, -1, "xl_header", Layer.XL).invalid();
  }

  @Test
  void xlOptionalDataTruncationAtTheOptionalData() {
    Image img = raw(w -> w.xlHeader(XL_MAGIC, XL_BYTE_ORDER, V2_JSON, 0, 4096), w -> w.raw(new byte[16]));
    check(img).has(ERROR, TRUNCATED, OPTIONAL_DATA_AT, -1, "xl_optional_data", Layer.XL).invalid();
    Image lv = raw(w -> w.libvirtHeader(StreamWriter.LIBVIRT_MAGIC, 2, 4096, new byte[40]), w -> w.raw(new byte[16]));
    check(lv).has(ERROR, TRUNCATED, XML_AT, -1, "libvirt_xml", Layer.XL).invalid();
  }

  @Test
  void trailingData() {
    Image junk = hvm().append(w -> w.raw(new byte[] {1, 2, 3, 4, 5, 6, 7, 8})).write();
    check(junk).has(WARNING, TRAILING_DATA, junk.mark("raw").offset(), -1, "trailer", Layer.LIBXL).lacks(MIGRATE_HANDSHAKE)
        .valid();
    // A bare libxc stream: the trailer belongs to the libxc layer.
    Image libxc = plan(HVM.withContainer(Container.LIBXC)).append(w -> w.raw(new byte[3])).write();
    check(libxc).has(WARNING, TRAILING_DATA, libxc.mark("raw").offset(), -1, "trailer", Layer.LIBXC).valid();
    // The handshake outside an xl container, or followed by one more byte, is just trailing data.
    Image bareHandshake = plan(HVM.withContainer(Container.LIBXL)).append(w -> w.raw(HANDSHAKE)).write();
    check(bareHandshake).has(WARNING, TRAILING_DATA, bareHandshake.mark("raw").offset(), -1, "trailer", Layer.LIBXL)
        .lacks(MIGRATE_HANDSHAKE).valid();
    Image longer = hvm().append(w -> w.raw(concat(HANDSHAKE, new byte[1]))).write();
    check(longer).has(WARNING, TRAILING_DATA, longer.mark("raw").offset(), -1, "trailer", Layer.LIBXL)
        .lacks(MIGRATE_HANDSHAKE).valid();

    check(hvm().write()).lacks(TRAILING_DATA).clean();
  }

  @Test
  void migrateHandshake() {
    Image capture = hvm().append(w -> w.raw(HANDSHAKE)).write();
    check(capture).has(INFO, MIGRATE_HANDSHAKE, capture.mark("raw").offset(), -1, "trailer", Layer.LIBXL)
        .lacks(TRAILING_DATA).valid();
    check(hvm().write()).lacks(MIGRATE_HANDSHAKE).clean();
  }

  /** Listed findings stop at the cap; counts, and so the status, still cover every finding. */
  @Test
  void findingsCapped() {
    ReadOptions three = new ReadOptions(16 << 20, 3, 4096);
    Plan p = hvm();
    for (int i = 0; i < 5; i++) {
      p.beforeLibxc(StreamWriter.END, 0x80000013L, w -> w.libxcRecord(0x80000013L, new byte[8]));
    }
    Image img = p.write();
    Check c = check(img, three).has(INFO, FINDINGS_CAPPED, img.mark("libxc:0x80000013", 3));
    assertEquals(4, c.r.findings().size());
    assertEquals(5, c.r.warningCount());
    c.count(UNKNOWN_OPTIONAL_RECORD, 3).valid();

    // An error past the cap still makes the image invalid.
    Image late = hvm()
        .beforeLibxc(StreamWriter.END, 0x80000013L, w -> w.libxcRecord(0x80000013L, new byte[8]))
        .beforeLibxc(StreamWriter.END, 0x80000013L, w -> w.libxcRecord(0x80000013L, new byte[8]))
        .beforeLibxc(StreamWriter.END, 0x13, w -> w.libxcRecord(0x13, new byte[8]))
        .write();
    ImageReport r = late.read(new ReadOptions(16 << 20, 1, 4096));
    check(late, r).has(INFO, FINDINGS_CAPPED, late.mark("libxc:0x80000013", 1)).lacks(UNKNOWN_MANDATORY_RECORD);
    assertEquals(1, r.errorCount());
    assertEquals(ImageStatus.INVALID, r.status());

    Plan fewer = hvm();
    for (int i = 0; i < 3; i++) {
      fewer.beforeLibxc(StreamWriter.END, 0x80000013L, w -> w.libxcRecord(0x80000013L, new byte[8]));
    }
    check(fewer.write(), three).lacks(FINDINGS_CAPPED).count(UNKNOWN_OPTIONAL_RECORD, 3).valid();
  }

  // ------------------------------------------------------------------ xl header

  @Test
  void xlBadByteOrder() {
    Image bigEndianHost = xl(0x04030201L, V2_JSON, 0, 4L + CONFIG.length, CONFIG.length, CONFIG, new byte[0]).write();
    check(bigEndianHost).has(ERROR, XL_BAD_BYTE_ORDER, bigEndianHost.mark("xl_header")).invalid();
    Image garbage = xl(0xDEADBEEFL, V2_JSON, 0, 4L + CONFIG.length, CONFIG.length, CONFIG, new byte[0]).write();
    check(garbage).has(ERROR, XL_BAD_BYTE_ORDER, 0, -1, "xl_header", Layer.XL).invalid();

    check(xlWithConfig(V2_JSON, CONFIG).write()).lacks(XL_BAD_BYTE_ORDER).clean();
  }

  @Test
  void xlUnknownMandatoryFlags() {
    Image img = xlWithConfig(V2_JSON | 4, CONFIG).write();
    check(img).has(ERROR, XL_UNKNOWN_MANDATORY_FLAGS, img.mark("xl_header")).invalid();
    check(xlWithConfig(V2_JSON | 0x80000000L, CONFIG).write()).has(ERROR, XL_UNKNOWN_MANDATORY_FLAGS, 0, -1,
        "xl_header", Layer.XL).invalid();

    check(xlWithConfig(V2_JSON, CONFIG).write()).lacks(XL_UNKNOWN_MANDATORY_FLAGS).clean();
  }

  @Test
  void xlUnknownOptionalFlags() {
    Image img = xl(XL_BYTE_ORDER, V2_JSON, 1, 4L + CONFIG.length, CONFIG.length, CONFIG, new byte[0]).write();
    check(img).has(WARNING, XL_UNKNOWN_OPTIONAL_FLAGS, img.mark("xl_header")).valid();

    check(xlWithConfig(V2_JSON, CONFIG).write()).lacks(XL_UNKNOWN_OPTIONAL_FLAGS).clean();
  }

  @Test
  void xlNoConfig() {
    Image none = xl(XL_BYTE_ORDER, XL_FLAG_STREAM_V2, 0, 0, 0, new byte[0], new byte[0]).write();
    check(none).has(WARNING, XL_NO_CONFIG, OPTIONAL_DATA_AT, -1, null, Layer.XL).valid();
    assertNull(none.read().guestName());
    Image three = xl(XL_BYTE_ORDER, XL_FLAG_STREAM_V2, 0, 3, 0, new byte[0], new byte[3]).write();
    check(three).has(WARNING, XL_NO_CONFIG, OPTIONAL_DATA_AT, -1, null, Layer.XL).valid();

    // Room for config_len, and config_len 0: no config, but nothing wrong.
    Image empty = xl(XL_BYTE_ORDER, XL_FLAG_STREAM_V2, 0, 4, 0, new byte[0], new byte[0]).write();
    check(empty).lacks(XL_NO_CONFIG).clean();
  }

  @Test
  void xlConfigLength() {
    Image img = xl(XL_BYTE_ORDER, V2_JSON, 0, 4L + CONFIG.length, CONFIG.length + 1L, CONFIG, new byte[0]).write();
    check(img).has(ERROR, XL_CONFIG_LENGTH, img.mark("xl_optional_data").offset(), -1, null, Layer.XL).invalid();

    Image exact = xl(XL_BYTE_ORDER, V2_JSON, 0, 4L + CONFIG.length, CONFIG.length, CONFIG, new byte[0]).write();
    check(exact).lacks(XL_CONFIG_LENGTH).clean();
    assertEquals("rule-hvm", exact.read().guestName());
  }

  @Test
  void xlConfigTooLarge() {
    Image img = xlWithConfig(V2_JSON, CONFIG).write();
    ReadOptions small = new ReadOptions(CONFIG.length - 1, 1000, 4096);
    check(img, small).has(WARNING, XL_CONFIG_TOO_LARGE, CONFIG_AT, -1, null, Layer.XL).valid();
    assertNull(img.read(small).guestName(), "a config over the cap is not parsed");

    ReadOptions exact = new ReadOptions(CONFIG.length, 1000, 4096);
    check(img, exact).lacks(XL_CONFIG_TOO_LARGE).clean();
    assertEquals(UUID, img.read(exact).guestUuid());
  }

  @Test
  void xlConfigNotNulTerminated() {
    byte[] noNul = ascii(GuestImageWriter.xlConfigText(HVM));
    check(xlWithConfig(V2_JSON, noNul).write()).has(ERROR, XL_CONFIG_NOT_NUL_TERMINATED, CONFIG_AT, -1, null, Layer.XL)
        .invalid();

    check(xlWithConfig(V2_JSON, CONFIG).write()).lacks(XL_CONFIG_NOT_NUL_TERMINATED).clean();
  }

  @Test
  void xlConfigInvalid() {
    check(xlWithConfig(V2_JSON, ascii("{\"c_info\": {\"name\": \0")).write())
        .has(ERROR, XL_CONFIG_INVALID, CONFIG_AT, -1, null, Layer.XL).invalid();
    check(xlWithConfig(V2_JSON, ascii("[1, 2, 3]\0")).write())
        .has(ERROR, XL_CONFIG_INVALID, CONFIG_AT, -1, null, Layer.XL).invalid();

    check(xlWithConfig(V2_JSON, ascii("{}\0")).write()).lacks(XL_CONFIG_INVALID).clean();
  }

  /** Hostile JSON within the size cap: nesting far past any libxl config, a huge string. */
  @Test
  void xlConfigBeyondTheParserLimitsIsInvalidNotACrash() {
    int depth = 200_000;
    byte[] deep = ascii("{\"c_info\": " + "[".repeat(depth) + "]".repeat(depth) + "}\0");
    check(xlWithConfig(V2_JSON, deep).write()).has(ERROR, XL_CONFIG_INVALID, CONFIG_AT, -1, null, Layer.XL).invalid();
    byte[] longName = ascii("{\"c_info\": {\"name\": \"" + "x".repeat(2 << 20) + "\"}}\0");
    check(xlWithConfig(V2_JSON, longName).write()).has(ERROR, XL_CONFIG_INVALID, CONFIG_AT, -1, null, Layer.XL);
    byte[] nested = ascii("{\"c_info\": " + "[".repeat(60) + "]".repeat(60) + "}\0");
    check(xlWithConfig(V2_JSON, nested).write()).lacks(XL_CONFIG_INVALID);
  }

  @Test
  void xlConfigText() {
    byte[] text = ascii("name = \"old-guest\"\nuuid = \"" + UUID + "\"\nbuilder = \"hvm\"\nvcpus = 2\n\0");
    Image img = xlWithConfig(XL_FLAG_STREAM_V2, text).write();
    check(img).has(INFO, XL_CONFIG_TEXT, CONFIG_AT, -1, null, Layer.XL).valid();
    assertEquals("old-guest", img.read().guestName());
    assertEquals("hvm", img.read().config().type());

    check(xlWithConfig(V2_JSON, CONFIG).write()).lacks(XL_CONFIG_TEXT).clean();
  }

  @Test
  void xlExtraOptionalData() {
    Image img = xl(XL_BYTE_ORDER, V2_JSON, 0, 4L + CONFIG.length + 8, CONFIG.length, CONFIG, new byte[8]).write();
    check(img).has(WARNING, XL_EXTRA_OPTIONAL_DATA, CONFIG_AT + CONFIG.length, -1, null, Layer.XL).valid();
    assertEquals("rule-hvm", img.read().guestName());

    check(xlWithConfig(V2_JSON, CONFIG).write()).lacks(XL_EXTRA_OPTIONAL_DATA).clean();
  }

  // ------------------------------------------------------------------ libvirt header

  static final int XML_AT = 64;

  static Plan libvirt(long version, byte[] unused) {
    return libvirt(version, unused, GuestImageWriter.libvirtXml(HVM));
  }

  static Plan libvirt(long version, byte[] unused, String xml) {
    byte[] x = (xml + "\0").getBytes(java.nio.charset.StandardCharsets.UTF_8);
    return plan(HVM.withContainer(Container.LIBVIRT)).replaceHeader(ImagePlan.LIBVIRT, w -> {
      w.libvirtHeader(StreamWriter.LIBVIRT_MAGIC, version, x.length, unused);
      w.libvirtXml(x);
    });
  }

  @Test
  void libvirtBadVersion() {
    check(libvirt(3, new byte[40]).write()).hasIgnoringOffset(ERROR, LIBVIRT_BAD_VERSION, -1, "libvirt_header", Layer.XL)
        .invalid();
    check(libvirt(0, new byte[40]).write()).hasIgnoringOffset(ERROR, LIBVIRT_BAD_VERSION, -1, "libvirt_header", Layer.XL)
        .invalid();

    check(libvirt(2, new byte[40]).write()).lacks(LIBVIRT_BAD_VERSION).clean();
  }

  @Test
  void libvirtXmlTooLarge() {
    Image img = libvirt(2, new byte[40]).write();
    int xmlLength = (int) img.mark("libvirt_xml").length();
    check(img, new ReadOptions(xmlLength - 1, 1000, 4096)).has(WARNING, LIBVIRT_XML_TOO_LARGE, XML_AT, -1, null, Layer.XL)
        .valid();
    check(img, new ReadOptions(xmlLength, 1000, 4096)).lacks(LIBVIRT_XML_TOO_LARGE).clean();
  }

  @Test
  void libvirtXmlInvalid() {
    check(libvirt(2, new byte[40], "<domain type='xen'></domain>").write())
        .has(WARNING, LIBVIRT_XML_INVALID, XML_AT, -1, null, Layer.XL).valid();
    check(libvirt(2, new byte[40], "not xml at all").write())
        .has(WARNING, LIBVIRT_XML_INVALID, XML_AT, -1, null, Layer.XL).valid();

    Image ok = libvirt(2, new byte[40]).write();
    check(ok).lacks(LIBVIRT_XML_INVALID).clean();
    assertEquals("rule-hvm", ok.read().guestName());
  }

  @Test
  void libvirtHeaderReserved() {
    byte[] unused = new byte[40];
    unused[39] = 1;
    check(libvirt(2, unused).write()).hasIgnoringOffset(WARNING, LIBVIRT_HEADER_RESERVED, -1, "libvirt_header", Layer.XL)
        .valid();

    check(libvirt(2, new byte[40]).write()).lacks(LIBVIRT_HEADER_RESERVED).clean();
  }

  @Test
  void libvirtHeaderFindingsAtTheHeaderStart() {
    byte[] unused = new byte[40];
    unused[0] = 1;
    check(libvirt(2, unused).write()).has(WARNING, LIBVIRT_HEADER_RESERVED, 0, -1, "libvirt_header", Layer.XL);
    check(libvirt(3, new byte[40]).write()).has(ERROR, LIBVIRT_BAD_VERSION, 0, -1, "libvirt_header", Layer.XL);
    check(libvirt(1, new byte[40]).write()).has(ERROR, LEGACY_IMAGE, 0, -1, "libvirt_header", Layer.XL);
  }

  // ------------------------------------------------------------------ config vs stream

  @Test
  void configTypeMismatch() {
    byte[] pvConfig = GuestImageWriter.xlConfig(spec(GuestSpec.Kind.PV));
    Image img = xlWithConfig(V2_JSON, pvConfig).write();
    check(img).has(ERROR, CONFIG_TYPE_MISMATCH, img.mark("libxc_domain_header")).invalid();
    // libvirt calls a PV guest "linux".
    Image lv = libvirt(2, new byte[40], GuestImageWriter.libvirtXml(spec(GuestSpec.Kind.PV))).write();
    check(lv).has(ERROR, CONFIG_TYPE_MISMATCH, lv.mark("libxc_domain_header")).invalid();

    check(xlWithConfig(V2_JSON, CONFIG).write()).lacks(CONFIG_TYPE_MISMATCH).clean();
    // PVH is an HVM domain in the stream.
    check(pvh().write()).lacks(CONFIG_TYPE_MISMATCH).clean();
    check(libvirt(2, new byte[40]).write()).lacks(CONFIG_TYPE_MISMATCH).clean();
  }
}
