package xenaudit.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Reads a libxl stream: header, then libxl records; at LIBXC_CONTEXT the inline libxc stream is
 * read by a {@link LibxcReader}, and at each libxc CHECKPOINT of a Remus/COLO stream control comes
 * back here until CHECKPOINT_END.
 */
final class LibxlReader {
  /** Emulator sub-header of EMULATOR_XENSTORE_DATA and EMULATOR_CONTEXT: u32 id, u32 index. */
  static final int EMULATOR_HEADER_SIZE = 8;
  static final long EMULATOR_UNKNOWN = 0;
  static final long EMULATOR_QEMU_UPSTREAM = 2;
  /** QEMU's device-state magic "QEVM", big-endian at the start of the blob. */
  static final int QEVM_MAGIC = 0x5145564D;
  /** Xenstore data beyond this is not parsed (real records hold a few physmap keys). */
  static final int MAX_XENSTORE_BYTES = Scratch.CAPACITY;
  static final int CHECKPOINT_STATE_SIZE = 4;

  private final ReadContext ctx;
  private final ImageReport report;
  private LibxcReader libxc;
  private boolean legacy;
  private long index;
  /** A libxc CHECKPOINT was read; the libxl records of that checkpoint are being read. */
  private boolean inCheckpoint;
  /** Offset right after the last CHECKPOINT_END: a clean place for a Remus stream to stop. */
  long lastCheckpointEnd = -1;

  LibxlReader(ReadContext ctx) {
    this.ctx = ctx;
    this.report = ctx.report;
  }

  /** Reads the header and every record; END and STOP both mean "nothing more to read here". */
  StreamOutcome read() throws IOException {
    long at = ctx.source.position();
    long headerFindings = ctx.findingCount();
    ctx.at(Layer.LIBXL, -1, "libxl_header");
    LibxlHeader h = LibxlHeader.decode(ctx.read(LibxlHeader.SIZE, ByteOrder.BIG_ENDIAN, at));
    if (h.ident() != LibxlHeader.IDENT) {
      header(at, FindingCode.LIBXL_BAD_IDENT, String.format("expected ident 0x%016x (LibxlFmt), found 0x%016x",
          LibxlHeader.IDENT, h.ident()));
      return StreamOutcome.STOP;
    }
    if (h.version() != LibxlHeader.VERSION) {
      header(at, FindingCode.LIBXL_BAD_VERSION, "expected version 2, found " + h.version());
      return StreamOutcome.STOP;
    }
    if ((h.options() & LibxlHeader.OPT_BIG_ENDIAN) != 0) {
      header(at, FindingCode.LIBXL_BIG_ENDIAN,
          "options bit 0 says big-endian records; Xen only reads little-endian (read as little-endian)");
    }
    if ((h.options() & LibxlHeader.OPT_RESERVED) != 0) {
      header(at, FindingCode.LIBXL_RESERVED_OPTIONS, String.format(
          "expected option bits 2-31 clear, found options 0x%08x%s", h.options(),
          (h.options() & LibxlHeader.OPT_RESERVED_XEN_CHECKS) == 0 ? " (bits 16-31: Xen's verifier misses these)" : ""));
    }
    legacy = h.legacy();
    if (legacy) {
      header(at, FindingCode.LEGACY_CONVERTED, "options bit 1: stream produced by convert-legacy-stream");
    }
    ctx.observe(at, Layer.LIBXL, -1, "libxl_header", LibxlHeader.SIZE,
        String.format("version %d, options 0x%x", h.version(), h.options()), headerFindings);
    return readRecords();
  }

  private void header(long at, FindingCode code, String message) {
    ctx.report(code, at, -1, "libxl_header", Layer.LIBXL, message);
  }

  private StreamOutcome readRecords() throws IOException {
    while (true) {
      long offset = ctx.source.position();
      ctx.at(Layer.LIBXL, index, "record_header");
      RecordHeader h = ctx.readRecordHeader();
      if (h == null) {
        throw new EndOfInput(offset);
      }
      if (inCheckpoint && continuesLibxc(h.type())) {
        ctx.report(FindingCode.CHECKPOINT_END_MISSING, offset, index, "record_header", Layer.LIBXL,
            "libxc record " + LibxcRecordType.nameOf(h.type()) + " where the checkpoint's CHECKPOINT_END was due");
        inCheckpoint = false;
        if (afterLibxc(libxc.readRecords(h, offset)) == StreamOutcome.STOP) {
          return StreamOutcome.STOP;
        }
        continue;
      }
      long idx = index++;
      report.records++;
      long before = ctx.findingCount();
      String name = LibxlRecordType.nameOf(h.type());
      ctx.at(Layer.LIBXL, idx, name);
      RecordFindings at = new RecordFindings(ctx, offset, idx, name, Layer.LIBXL);
      if (ctx.bodyPastEnd(h)) {
        throw new EndOfInput(offset, "record declares " + (h.length() + h.padding())
            + " bytes with padding, only " + ctx.source.remaining() + " remain");
      }
      // As in LibxcReader: a record the input cuts short is not judged. LIBXC_CONTEXT and
      // CHECKPOINT_END are not cut here: the libxc records their decode reads judge themselves.
      ImageReport.Mark mark = report.mark();
      RecordBody body = ctx.body(h, offset);
      LibxlRecordType t = LibxlRecordType.of(h.type());
      StreamOutcome out = null;
      // LIBXC_CONTEXT and CHECKPOINT_END are followed inline by the libxc records their decode
      // reads: observed first, so a listing stays in stream order.
      boolean inline = t == LibxlRecordType.LIBXC_CONTEXT || t == LibxlRecordType.CHECKPOINT_END;
      if (inline) {
        ctx.observe(offset, Layer.LIBXL, idx, name, h.length(), RecordDecodes.libxl(t, h.length()), before);
      }
      try {
        if (t == null) {
          LibxcReader.unknown(h, at);
        } else {
          out = decode(t, h, body, idx, at);
        }
        if (out == StreamOutcome.STOP) {
          return out;
        }
        // LIBXC_CONTEXT and CHECKPOINT_END finish themselves: libxc records follow them inline.
        if (!inline && !ctx.finishRecord(body, h, offset)) {
          at.report(FindingCode.RECORD_PADDING_NONZERO, "the " + h.padding() + " padding bytes are not zero");
        }
      } catch (EndOfInput e) {
        if (!inline) {
          report.rollBack(mark);
        }
        throw e;
      }
      at.close();
      if (!inline) {
        ctx.observe(offset, Layer.LIBXL, idx, name, h.length(), RecordDecodes.libxl(t, h.length()), before);
      }
      if (out == StreamOutcome.END) {
        return out;
      }
    }
  }

  private StreamOutcome decode(LibxlRecordType t, RecordHeader h, RecordBody body, long idx, Located at)
      throws IOException {
    long len = h.length();
    switch (t) {
      case END -> {
        LibxcReader.marker(len, at);
        if (inCheckpoint) {
          at.report(FindingCode.CHECKPOINT_END_MISSING, "END while a checkpoint awaits its CHECKPOINT_END");
        }
        if (libxc == null) {
          at.report(FindingCode.LIBXC_CONTEXT_MISSING, "the libxl stream ends with no LIBXC_CONTEXT (no guest state)");
        }
        return StreamOutcome.END;
      }
      case LIBXC_CONTEXT -> {
        LibxcReader.marker(len, at);
        finish(body, h, at);
        if (libxc != null) {
          at.report(FindingCode.LIBXC_CONTEXT_REPEATED, "a second libxc stream; Xen reads only one");
        } else if (idx != 0) {
          at.report(FindingCode.LIBXC_CONTEXT_NOT_FIRST, "LIBXC_CONTEXT is record " + idx + ", expected 0");
        }
        libxc = new LibxcReader(ctx, true);
        if (libxc.readHeaders(legacy) == StreamOutcome.STOP) {
          return StreamOutcome.STOP;
        }
        return afterLibxc(libxc.readRecords());
      }
      case EMULATOR_XENSTORE_DATA, EMULATOR_CONTEXT -> emulator(t, body, at);
      case CHECKPOINT_END -> {
        LibxcReader.marker(len, at);
        finish(body, h, at);
        if (!inCheckpoint) {
          at.report(FindingCode.CHECKPOINT_END_UNEXPECTED, "CHECKPOINT_END with no libxc CHECKPOINT before it");
          return null;
        }
        inCheckpoint = false;
        lastCheckpointEnd = ctx.source.position();
        return afterLibxc(libxc.readRecords());
      }
      case CHECKPOINT_STATE -> {
        at.report(FindingCode.CHECKPOINT_STATE_IN_STREAM, "CHECKPOINT_STATE is only sent on the COLO back channel");
        if (len != CHECKPOINT_STATE_SIZE) {
          at.report(FindingCode.RECORD_LENGTH, "expected length 4, found " + len);
        }
      }
      default -> throw new IllegalStateException(t.name());
    }
    return null;
  }

  /**
   * Inside a checkpoint libxl expects emulator records, CHECKPOINT_END or END; a known libxc type
   * other than those (LIBXC_CONTEXT's code is PAGE_DATA's) means the next checkpoint has begun.
   */
  private static boolean continuesLibxc(long type) {
    return LibxcRecordType.of(type) != null
        && type != LibxlRecordType.END.code
        && type != LibxlRecordType.EMULATOR_XENSTORE_DATA.code
        && type != LibxlRecordType.EMULATOR_CONTEXT.code
        && type != LibxlRecordType.CHECKPOINT_END.code;
  }

  private void finish(RecordBody body, RecordHeader h, Located at) throws IOException {
    if (!ctx.finishRecord(body, h, body.offsetOf(0) - RecordHeader.SIZE)) {
      at.report(FindingCode.RECORD_PADDING_NONZERO, "the " + h.padding() + " padding bytes are not zero");
    }
  }

  private StreamOutcome afterLibxc(StreamOutcome libxcOutcome) {
    if (libxcOutcome == StreamOutcome.CHECKPOINT) {
      inCheckpoint = true;
      return null;
    }
    return libxcOutcome == StreamOutcome.STOP ? StreamOutcome.STOP : null;
  }

  private void emulator(LibxlRecordType t, RecordBody body, Located at) throws IOException {
    long len = body.length();
    if (len < EMULATOR_HEADER_SIZE) {
      at.report(FindingCode.RECORD_LENGTH, "expected at least " + EMULATOR_HEADER_SIZE + " bytes, found " + len);
      return;
    }
    ByteBuffer b = body.read(EMULATOR_HEADER_SIZE);
    long id = Integer.toUnsignedLong(b.getInt(0));
    long emuIndex = Integer.toUnsignedLong(b.getInt(4));
    if (id > EMULATOR_QEMU_UPSTREAM) {
      at.report(FindingCode.EMULATOR_BAD_ID, "expected emulator_id 0, 1 or 2, found " + id);
    } else if (id == EMULATOR_UNKNOWN && !legacy) {
      at.report(FindingCode.EMULATOR_UNKNOWN_ID, "emulator_id 0 (unknown) in a stream not converted from legacy");
    }
    if (emuIndex != 0) {
      at.report(FindingCode.EMULATOR_INDEX_NONZERO, "expected index 0, found " + emuIndex);
    }
    if (report.guestType == GuestType.X86_PV) {
      at.report(FindingCode.EMULATOR_NOT_HVM, t + " in a PV stream: libxl refuses emulator records for PV guests");
    } else if ("pvh".equalsIgnoreCase(report.config.type())) {
      at.report(FindingCode.EMULATOR_PVH, t + " for a guest the config says is PVH (no device model)");
    }
    long payload = len - EMULATOR_HEADER_SIZE;
    if (t == LibxlRecordType.EMULATOR_XENSTORE_DATA) {
      xenstore(body, payload, at);
    } else if (id == EMULATOR_QEMU_UPSTREAM && payload >= 4) {
      int magic = body.read(4).order(ByteOrder.BIG_ENDIAN).getInt(0);
      if (magic != QEVM_MAGIC) {
        at.report(FindingCode.EMULATOR_CONTEXT_NO_QEVM,
            String.format("expected QEMU state magic 0x%08x (QEVM), found 0x%08x", QEVM_MAGIC, magic));
      }
    }
  }

  /** Packed NUL-terminated key, value strings: the payload ends in NUL and holds an even count. */
  private static void xenstore(RecordBody body, long payload, Located at) throws IOException {
    if (payload == 0 || payload > MAX_XENSTORE_BYTES) {
      return;
    }
    ByteBuffer b = body.read((int) payload);
    if (b.get((int) payload - 1) != 0) {
      at.report(FindingCode.XENSTORE_NOT_NUL_TERMINATED, "the last byte of the xenstore data is not NUL");
      return;
    }
    int strings = 0;
    int start = 0;
    boolean badKeyReported = false;
    for (int i = 0; i < payload; i++) {
      if (b.get(i) != 0) {
        continue;
      }
      if (strings % 2 == 0 && !badKeyReported && !validKey(b, start, i)) {
        badKeyReported = true;
        at.report(FindingCode.XENSTORE_BAD_KEY, "key " + (strings / 2) + " is empty or has characters outside [A-Za-z0-9-/_@]");
      }
      strings++;
      start = i + 1;
    }
    if (strings % 2 != 0) {
      at.report(FindingCode.XENSTORE_ODD_STRINGS, "expected key/value pairs, found " + strings + " strings");
    }
  }

  private static boolean validKey(ByteBuffer b, int from, int to) {
    if (from == to) {
      return false;
    }
    for (int i = from; i < to; i++) {
      int c = b.get(i);
      boolean ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
          || c == '-' || c == '/' || c == '_' || c == '@';
      if (!ok) {
        return false;
      }
    }
    return true;
  }
}
