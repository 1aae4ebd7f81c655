package xenaudit.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static xenaudit.format.FindingCode.*;
import static xenaudit.format.RuleImages.*;
import static xenaudit.format.Severity.ERROR;
import static xenaudit.format.Severity.INFO;
import static xenaudit.format.Severity.WARNING;
import static xenaudit.sample.StreamWriter.CHECKPOINT_STATE;
import static xenaudit.sample.StreamWriter.EMULATOR_CONTEXT;
import static xenaudit.sample.StreamWriter.EMULATOR_QEMU_TRADITIONAL;
import static xenaudit.sample.StreamWriter.EMULATOR_QEMU_UPSTREAM;
import static xenaudit.sample.StreamWriter.EMULATOR_UNKNOWN;
import static xenaudit.sample.StreamWriter.EMULATOR_XENSTORE_DATA;
import static xenaudit.sample.StreamWriter.LIBXC_CONTEXT;
import static xenaudit.sample.StreamWriter.LIBXL_END;
import static xenaudit.sample.StreamWriter.LIBXL_IDENT;
import static xenaudit.sample.StreamWriter.LIBXL_OPT_BIG_ENDIAN;
import static xenaudit.sample.StreamWriter.LIBXL_OPT_LEGACY;
import static xenaudit.sample.StreamWriter.LIBXL_VERSION;

import java.util.List;
import org.junit.jupiter.api.Test;
import xenaudit.sample.GuestImageWriter;
import xenaudit.sample.GuestSpec;
import xenaudit.sample.ImagePlan;
import xenaudit.sample.ImagePlan.Part;
import xenaudit.sample.Mark;
import xenaudit.sample.StreamWriter;

/**
 * The libxl layer: its header, the LIBXC_CONTEXT rules, the emulator records and their xenstore
 * data, the checkpoint records and unknown records. Images are xl save files of a small guest.
 */
class LibxlRuleTest {
  /** QEMU's device-state magic and version 3, as the writer puts at the start of EMULATOR_CONTEXT. */
  static final byte[] QEVM = {'Q', 'E', 'V', 'M', 0, 0, 0, 3};

  static Plan withLibxlHeader(Plan p, long ident, long version, long options) {
    return p.replaceHeader(ImagePlan.LIBXL_HEADER, w -> w.libxlHeader(ident, version, options));
  }

  static Plan emulatorContext(Plan p, long id, long index, byte[] head) {
    return p.replaceLibxl(EMULATOR_CONTEXT, w -> w.emulatorContext(id, index, head, 1001));
  }

  static Plan xenstore(Plan p, List<String> strings) {
    return p.beforeLibxl(EMULATOR_CONTEXT, EMULATOR_XENSTORE_DATA,
        w -> w.emulatorXenstoreData(EMULATOR_QEMU_UPSTREAM, 0, strings));
  }

  /** A legacy-converted stream: libxl options bit 1 and xen_major 0 (converter version 1). */
  static Plan converted(Plan p) {
    return withLibxlHeader(p, LIBXL_IDENT, LIBXL_VERSION, LIBXL_OPT_LEGACY)
        .replaceHeader(ImagePlan.LIBXC_DOMAIN_HEADER, w -> w.domainHeader(StreamWriter.DOMAIN_X86_HVM, 0, 1));
  }

  // ------------------------------------------------------------------ header

  @Test
  void libxlBadIdent() {
    Image img = withLibxlHeader(hvm(), LIBXL_IDENT + 1, LIBXL_VERSION, 0).write();
    check(img).has(ERROR, LIBXL_BAD_IDENT, img.mark("libxl_header")).invalid();
    check(hvm().write()).lacks(LIBXL_BAD_IDENT).clean();
  }

  @Test
  void libxlBadVersion() {
    for (long v : new long[] {1, 3}) {
      Image img = withLibxlHeader(hvm(), LIBXL_IDENT, v, 0).write();
      check(img).has(ERROR, LIBXL_BAD_VERSION, img.mark("libxl_header")).invalid();
    }
    check(withLibxlHeader(hvm(), LIBXL_IDENT, 2, 0).write()).lacks(LIBXL_BAD_VERSION).clean();
  }

  @Test
  void libxlBigEndian() {
    Image img = withLibxlHeader(hvm(), LIBXL_IDENT, LIBXL_VERSION, LIBXL_OPT_BIG_ENDIAN).write();
    check(img).has(ERROR, LIBXL_BIG_ENDIAN, img.mark("libxl_header")).invalid();
    check(hvm().write()).lacks(LIBXL_BIG_ENDIAN).clean();
  }

  @Test
  void libxlReservedOptions() {
    // Bit 2 is one Xen's verifier checks; bit 16 one it misses.
    for (long options : new long[] {1L << 2, 1L << 15, 1L << 16, 1L << 31}) {
      Image img = withLibxlHeader(hvm(), LIBXL_IDENT, LIBXL_VERSION, options).write();
      check(img).has(ERROR, LIBXL_RESERVED_OPTIONS, img.mark("libxl_header")).invalid();
    }
    check(hvm().write()).lacks(LIBXL_RESERVED_OPTIONS).clean();
  }

  @Test
  void legacyConverted() {
    // Converted streams also carry emulator_id 0 (unknown).
    Image img = emulatorContext(converted(hvm()), EMULATOR_UNKNOWN, 0, new byte[8]).write();
    check(img)
        .has(INFO, LEGACY_CONVERTED, img.mark("libxl_header"))
        .has(INFO, LEGACY_CONVERTED, img.mark("libxc_domain_header"))
        .lacks(LEGACY_MARK_MISMATCH, EMULATOR_UNKNOWN_ID, XEN_VERSION_MISMATCH)
        .valid();
    check(hvm().write()).lacks(LEGACY_CONVERTED).clean();
  }

  @Test
  void legacyMarkMismatch() {
    // The libxl legacy bit without xen_major 0 ...
    Image bit = withLibxlHeader(hvm(), LIBXL_IDENT, LIBXL_VERSION, LIBXL_OPT_LEGACY).write();
    check(bit)
        .has(INFO, LEGACY_CONVERTED, bit.mark("libxl_header"))
        .has(WARNING, LEGACY_MARK_MISMATCH, bit.mark("libxc_domain_header"))
        .valid();
    // ... and xen_major 0 without the bit.
    Image zero = hvm()
        .replaceHeader(ImagePlan.LIBXC_DOMAIN_HEADER, w -> w.domainHeader(StreamWriter.DOMAIN_X86_HVM, 0, 1))
        .write();
    check(zero)
        .has(INFO, LEGACY_CONVERTED, zero.mark("libxc_domain_header"))
        .has(WARNING, LEGACY_MARK_MISMATCH, zero.mark("libxc_domain_header"))
        .valid();

    check(converted(hvm()).write()).lacks(LEGACY_MARK_MISMATCH).valid();
  }

  // ------------------------------------------------------------------ LIBXC_CONTEXT

  @Test
  void libxcContextMissing() {
    byte[] config = GuestImageWriter.xlConfig(spec(GuestSpec.Kind.HVM));
    Image img = raw(w -> w.xlSaveHeader(config), w -> w.libxlHeader(0), StreamWriter::libxlEnd);
    check(img).has(ERROR, LIBXC_CONTEXT_MISSING, img.mark("libxl:END")).invalid();
    check(hvm().write()).lacks(LIBXC_CONTEXT_MISSING).clean();
  }

  @Test
  void libxcContextRepeated() {
    // A second LIBXC_CONTEXT and a whole second libxc stream before libxl END.
    Plan p = hvm();
    List<Part> parts = hvm().plan.parts();
    int from = parts.indexOf(parts.stream().filter(x -> x.is(ImagePlan.LIBXL, LIBXC_CONTEXT)).findFirst().get());
    int to = parts.indexOf(parts.stream().filter(x -> x.is(ImagePlan.LIBXC, StreamWriter.END)).findFirst().get());
    int end = p.plan.require(ImagePlan.LIBXL, LIBXL_END);
    p.plan.parts().addAll(end, parts.subList(from, to + 1));
    Image img = p.write();
    check(img).has(ERROR, LIBXC_CONTEXT_REPEATED, img.mark("libxl:LIBXC_CONTEXT", 1)).invalid();

    check(hvm().write()).lacks(LIBXC_CONTEXT_REPEATED).clean();
  }

  @Test
  void libxcContextNotFirst() {
    Image img = hvm()
        .beforeLibxl(LIBXC_CONTEXT, EMULATOR_CONTEXT, w -> w.emulatorContext(EMULATOR_QEMU_UPSTREAM, 0, QEVM, 64))
        .write();
    Mark ctx = img.mark("libxl:LIBXC_CONTEXT");
    assertEquals(1, img.indexOf(ctx));
    check(img).has(ERROR, LIBXC_CONTEXT_NOT_FIRST, ctx).invalid();

    check(hvm().write()).lacks(LIBXC_CONTEXT_NOT_FIRST).clean();
  }

  // ------------------------------------------------------------------ emulator records

  @Test
  void emulatorBadId() {
    for (long id : new long[] {3, 0x80000002L}) {
      Image img = emulatorContext(hvm(), id, 0, QEVM).write();
      check(img).has(ERROR, EMULATOR_BAD_ID, img.mark("libxl:EMULATOR_CONTEXT")).invalid();
    }
    Image xs = hvm().beforeLibxl(EMULATOR_CONTEXT, EMULATOR_XENSTORE_DATA,
        w -> w.emulatorXenstoreData(7, 0, List.of())).write();
    check(xs).has(ERROR, EMULATOR_BAD_ID, xs.mark("libxl:EMULATOR_XENSTORE_DATA")).invalid();

    check(emulatorContext(hvm(), EMULATOR_QEMU_TRADITIONAL, 0, new byte[8]).write()).lacks(EMULATOR_BAD_ID).clean();
    check(emulatorContext(hvm(), EMULATOR_QEMU_UPSTREAM, 0, QEVM).write()).lacks(EMULATOR_BAD_ID).clean();
  }

  @Test
  void emulatorIndexNonzero() {
    Image img = emulatorContext(hvm(), EMULATOR_QEMU_UPSTREAM, 1, QEVM).write();
    check(img).has(WARNING, EMULATOR_INDEX_NONZERO, img.mark("libxl:EMULATOR_CONTEXT")).valid();
    check(emulatorContext(hvm(), EMULATOR_QEMU_UPSTREAM, 0, QEVM).write()).lacks(EMULATOR_INDEX_NONZERO).clean();
  }

  @Test
  void emulatorUnknownId() {
    Image img = emulatorContext(hvm(), EMULATOR_UNKNOWN, 0, QEVM).write();
    check(img).has(WARNING, EMULATOR_UNKNOWN_ID, img.mark("libxl:EMULATOR_CONTEXT")).valid();
    // Converted streams have no better id to give.
    check(emulatorContext(converted(hvm()), EMULATOR_UNKNOWN, 0, QEVM).write()).lacks(EMULATOR_UNKNOWN_ID).valid();
  }

  @Test
  void emulatorNotHvm() {
    Image img = pv()
        .beforeLibxl(LIBXL_END, EMULATOR_CONTEXT, w -> w.emulatorContext(EMULATOR_QEMU_UPSTREAM, 0, QEVM, 64))
        .write();
    check(img).has(ERROR, EMULATOR_NOT_HVM, img.mark("libxl:EMULATOR_CONTEXT")).invalid();
    Image xs = pv()
        .beforeLibxl(LIBXL_END, EMULATOR_XENSTORE_DATA,
            w -> w.emulatorXenstoreData(EMULATOR_QEMU_UPSTREAM, 0, GuestImageWriter.xenstorePhysmap()))
        .write();
    check(xs).has(ERROR, EMULATOR_NOT_HVM, xs.mark("libxl:EMULATOR_XENSTORE_DATA")).invalid();

    check(pv().write()).lacks(EMULATOR_NOT_HVM).clean();
    check(hvm().write()).lacks(EMULATOR_NOT_HVM).clean();
  }

  @Test
  void emulatorPvh() {
    Image img = pvh()
        .beforeLibxl(LIBXL_END, EMULATOR_CONTEXT, w -> w.emulatorContext(EMULATOR_QEMU_UPSTREAM, 0, QEVM, 64))
        .write();
    check(img).has(ERROR, EMULATOR_PVH, img.mark("libxl:EMULATOR_CONTEXT")).lacks(EMULATOR_NOT_HVM).invalid();

    // libvirt names a PVH guest's OS type "xenpvh".
    Image lv = plan(spec(GuestSpec.Kind.PVH).withContainer(Container.LIBVIRT))
        .beforeLibxl(LIBXL_END, EMULATOR_CONTEXT, w -> w.emulatorContext(EMULATOR_QEMU_UPSTREAM, 0, QEVM, 64))
        .write();
    check(lv).has(ERROR, EMULATOR_PVH, lv.mark("libxl:EMULATOR_CONTEXT")).invalid();

    check(pvh().write()).lacks(EMULATOR_PVH).clean();
    check(hvm().write()).lacks(EMULATOR_PVH).clean();
    // Without a config the stream cannot tell PVH from HVM.
    check(plan(spec(GuestSpec.Kind.PVH).withContainer(Container.LIBXL))
        .beforeLibxl(LIBXL_END, EMULATOR_CONTEXT, w -> w.emulatorContext(EMULATOR_QEMU_UPSTREAM, 0, QEVM, 64))
        .write()).lacks(EMULATOR_PVH).clean();
  }

  @Test
  void xenstoreNotNulTerminated() {
    byte[] body = concat(le(EMULATOR_QEMU_UPSTREAM, 0), ascii("physmap/f0000000/name\0vga.vram"));
    Image img = hvm().beforeLibxl(EMULATOR_CONTEXT, EMULATOR_XENSTORE_DATA,
        w -> w.libxlRecord(EMULATOR_XENSTORE_DATA, body)).write();
    check(img).has(ERROR, XENSTORE_NOT_NUL_TERMINATED, img.mark("libxl:EMULATOR_XENSTORE_DATA")).invalid();

    byte[] ok = concat(le(EMULATOR_QEMU_UPSTREAM, 0), ascii("physmap/f0000000/name\0vga.vram\0"));
    check(hvm().beforeLibxl(EMULATOR_CONTEXT, EMULATOR_XENSTORE_DATA,
        w -> w.libxlRecord(EMULATOR_XENSTORE_DATA, ok)).write()).lacks(XENSTORE_NOT_NUL_TERMINATED).clean();
  }

  @Test
  void xenstoreOddStrings() {
    Image img = xenstore(hvm(), List.of("physmap/f0000000/start_addr", "f0000000", "physmap/f0000000/size")).write();
    check(img).has(ERROR, XENSTORE_ODD_STRINGS, img.mark("libxl:EMULATOR_XENSTORE_DATA")).invalid();

    check(xenstore(hvm(), GuestImageWriter.xenstorePhysmap()).write()).lacks(XENSTORE_ODD_STRINGS).clean();
    // The header alone (no strings) is an even count.
    check(xenstore(hvm(), List.of()).write()).lacks(XENSTORE_ODD_STRINGS).clean();
  }

  @Test
  void xenstoreBadKey() {
    for (String key : new String[] {"physmap/f0000000/bad key", "", "physmap/f0000000/näme"}) {
      Image img = xenstore(hvm(), List.of("physmap/f0000000/size", "800000", key, "vga.vram")).write();
      check(img).has(WARNING, XENSTORE_BAD_KEY, img.mark("libxl:EMULATOR_XENSTORE_DATA")).valid();
    }
    // Values are free text; keys may use - / _ @.
    check(xenstore(hvm(), List.of("physmap/f0-00_0@/name", "vga ram, 8 MiB!")).write()).lacks(XENSTORE_BAD_KEY)
        .clean();
  }

  @Test
  void emulatorContextNoQevm() {
    Image img = emulatorContext(hvm(), EMULATOR_QEMU_UPSTREAM, 0, ascii("QEMU\0\0\0\3")).write();
    check(img).has(WARNING, EMULATOR_CONTEXT_NO_QEVM, img.mark("libxl:EMULATOR_CONTEXT")).valid();

    check(emulatorContext(hvm(), EMULATOR_QEMU_UPSTREAM, 0, QEVM).write()).lacks(EMULATOR_CONTEXT_NO_QEVM).clean();
    // qemu-traditional's state has no QEVM magic.
    check(emulatorContext(hvm(), EMULATOR_QEMU_TRADITIONAL, 0, ascii("QEMU\0\0\0\3")).write())
        .lacks(EMULATOR_CONTEXT_NO_QEVM).clean();
  }

  @Test
  void emulatorRecordLength() {
    Image img = hvm().replaceLibxl(EMULATOR_CONTEXT, w -> w.libxlRecord(EMULATOR_CONTEXT, le(EMULATOR_QEMU_UPSTREAM)))
        .write();
    check(img).has(ERROR, RECORD_LENGTH, img.mark("libxl:EMULATOR_CONTEXT")).invalid();
    Image xs = hvm().beforeLibxl(EMULATOR_CONTEXT, EMULATOR_XENSTORE_DATA,
        w -> w.libxlRecord(EMULATOR_XENSTORE_DATA, new byte[7])).write();
    check(xs).has(ERROR, RECORD_LENGTH, xs.mark("libxl:EMULATOR_XENSTORE_DATA")).invalid();

    // Exactly the 8-byte sub-header is enough.
    check(hvm().replaceLibxl(EMULATOR_CONTEXT, w -> w.libxlRecord(EMULATOR_CONTEXT, le(EMULATOR_QEMU_UPSTREAM, 0)))
        .write()).lacks(RECORD_LENGTH).clean();
  }

  // ------------------------------------------------------------------ marker and checkpoint records

  @Test
  void libxlMarkerLength() {
    Image img = hvm().replaceLibxl(LIBXL_END, w -> w.libxlRecord(LIBXL_END, new byte[8])).write();
    check(img).has(ERROR, RECORD_LENGTH, img.mark("libxl:END")).invalid();
    Image checkpointEnd = checkpointed(spec(GuestSpec.Kind.HVM), 1)
        .replaceLibxl(StreamWriter.CHECKPOINT_END, w -> w.libxlRecord(StreamWriter.CHECKPOINT_END, new byte[8]))
        .write();
    check(checkpointEnd).has(ERROR, RECORD_LENGTH, checkpointEnd.mark("libxl:CHECKPOINT_END")).invalid();

    check(hvm().write()).lacks(RECORD_LENGTH).clean();
    check(checkpointed(spec(GuestSpec.Kind.HVM), 1).write()).lacks(RECORD_LENGTH).valid();
  }

  @Test
  void checkpointStateInStream() {
    Image img = hvm().beforeLibxl(LIBXL_END, CHECKPOINT_STATE, w -> w.libxlRecord(CHECKPOINT_STATE, le(0))).write();
    check(img).has(ERROR, CHECKPOINT_STATE_IN_STREAM, img.mark("libxl:CHECKPOINT_STATE")).lacks(RECORD_LENGTH)
        .invalid();
    Image eight = hvm().beforeLibxl(LIBXL_END, CHECKPOINT_STATE, w -> w.libxlRecord(CHECKPOINT_STATE, le(0, 0)))
        .write();
    check(eight)
        .has(ERROR, CHECKPOINT_STATE_IN_STREAM, eight.mark("libxl:CHECKPOINT_STATE"))
        .has(ERROR, RECORD_LENGTH, eight.mark("libxl:CHECKPOINT_STATE"))
        .invalid();

    check(hvm().write()).lacks(CHECKPOINT_STATE_IN_STREAM).clean();
  }

  // ------------------------------------------------------------------ framing and unknown records

  @Test
  void libxlPaddingNonzero() {
    byte[] body = concat(le(EMULATOR_QEMU_UPSTREAM, 0), QEVM, new byte[5]); // 21 bytes, 3 of padding
    Image img = hvm().replaceLibxl(EMULATOR_CONTEXT,
        w -> w.libxlRecord(EMULATOR_CONTEXT, body, -1, new byte[] {0, 0, 1})).write();
    check(img).has(ERROR, RECORD_PADDING_NONZERO, img.mark("libxl:EMULATOR_CONTEXT")).invalid();

    check(hvm().replaceLibxl(EMULATOR_CONTEXT, w -> w.libxlRecord(EMULATOR_CONTEXT, body, -1, new byte[3])).write())
        .lacks(RECORD_PADDING_NONZERO).clean();
  }

  @Test
  void libxlUnknownMandatoryRecord() {
    for (long type : new long[] {6, 0x7FFFFFFFL}) {
      Image img = hvm().beforeLibxl(LIBXL_END, type, w -> w.libxlRecord(type, new byte[12])).write();
      check(img).has(ERROR, UNKNOWN_MANDATORY_RECORD, img.mark("libxl:" + StreamWriter.libxlName(type))).invalid();
    }
    check(hvm().write()).lacks(UNKNOWN_MANDATORY_RECORD).clean();
  }

  @Test
  void libxlUnknownOptionalRecord() {
    for (long type : new long[] {0x80000000L, 0x80000006L, 0xFFFFFFFFL}) {
      Image img = hvm().beforeLibxl(LIBXL_END, type, w -> w.libxlRecord(type, new byte[12])).write();
      check(img).has(WARNING, UNKNOWN_OPTIONAL_RECORD, img.mark("libxl:" + StreamWriter.libxlName(type)))
          .lacks(UNKNOWN_MANDATORY_RECORD).valid();
    }
    check(hvm().write()).lacks(UNKNOWN_OPTIONAL_RECORD).clean();
  }
}
