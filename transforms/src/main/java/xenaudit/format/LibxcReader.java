package xenaudit.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a libxc stream: image header, domain header, records up to END (or up to each CHECKPOINT
 * of a Remus/COLO stream, after which {@link #readRecords} resumes with no new header).
 *
 * <p>Every check of Xen's verifier is made (marked "xen" on its {@link FindingCode}), then the
 * placement and content rules of the C restorer and the spec. A bad record body is reported and
 * skipped; only a record header whose length cannot be trusted stops the read.
 */
final class LibxcReader {
  /** PV vCPU record header: u32 vcpu_id, u32 reserved. */
  static final int VCPU_HEADER_SIZE = 8;
  /** sizeof(vcpu_guest_context) for 64-bit and 32-bit PV guests. */
  static final int VCPU_CONTEXT_64 = 5168;

  static final int VCPU_CONTEXT_32 = 2800;
  static final int VCPU_EXTENDED_MAX = 128;
  static final int VCPU_XSAVE_MIN = 16;
  static final int VCPU_MSR_SIZE = 16;
  static final int SHARED_INFO_SIZE = 4096;
  static final int PAGE_SIZE = 4096;
  /** PAGE_DATA header: u32 count, u32 reserved; then u64 pfn[count]. */
  static final int PAGE_DATA_HEADER_SIZE = 8;

  static final int PFN_SIZE = 8;
  static final long PFN_MASK = (1L << 52) - 1;
  static final int MAX_BATCH = 1024;
  static final int X86_PV_INFO_SIZE = 8;
  static final int P2M_HEADER_SIZE = 8;
  static final int TSC_INFO_SIZE = 24;
  /** HVM_PARAMS header: u32 count, u32 reserved; then {u64 index, u64 value}[count]. */
  static final int HVM_PARAMS_HEADER_SIZE = 8;

  static final int HVM_PARAM_SIZE = 16;
  static final int HVM_NR_PARAMS = 39;
  /** Params the saver sends (x86_hvm_save params[]), plus PAE_ENABLED (4) of old streams. */
  static final long SAVED_HVM_PARAMS =
      bits(1, 4, 5, 6, 27, 28, 29, 37, 17, 19, 9, 12, 34, 32, 33, 36, 38);
  /** Highest vCPU id tracked for duplicate records; Xen's own limit is far below. */
  static final int MAX_TRACKED_VCPU = 1 << 14;

  /** Records that carry state fixed for the life of the domain: once per stream, before SDE. */
  private static final Set<LibxcRecordType> STATIC_ONCE =
      EnumSet.of(
          LibxcRecordType.X86_PV_INFO,
          LibxcRecordType.X86_CPUID_POLICY,
          LibxcRecordType.X86_MSR_POLICY);
  /** Records the saver writes once per checkpoint (once per stream without checkpoints). */
  private static final Set<LibxcRecordType> CHECKPOINT_ONCE =
      EnumSet.of(
          LibxcRecordType.X86_PV_P2M_FRAMES,
          LibxcRecordType.SHARED_INFO,
          LibxcRecordType.X86_TSC_INFO,
          LibxcRecordType.HVM_CONTEXT,
          LibxcRecordType.HVM_PARAMS);

  private final ReadContext ctx;
  private final ImageReport report;
  /** Inside a libxl stream: CHECKPOINT hands control back to libxl. */
  private final boolean nested;

  private long index;
  private int version;
  private GuestType guest;
  private final EnumSet<LibxcRecordType> seenInStream = EnumSet.noneOf(LibxcRecordType.class);
  private final EnumSet<LibxcRecordType> seenInCheckpoint = EnumSet.noneOf(LibxcRecordType.class);
  private final Map<LibxcRecordType, BitSet> vcpusInCheckpoint = new EnumMap<>(LibxcRecordType.class);
  private final long[] pfnScratch = new long[MAX_BATCH];
  /** Static data is closed, by a STATIC_DATA_END or (v2, or a v3 stream lacking it) by memory. */
  private boolean staticClosed;

  private boolean sdeRecord;
  private boolean sdeMissingReported;
  private int pvWidth;
  private long p2mEnd = -1;
  private boolean pageBeforeP2mReported;
  private boolean vcpu0Basic;
  private boolean verifySeen;

  LibxcReader(ReadContext ctx, boolean nested) {
    this.ctx = ctx;
    this.report = ctx.report;
    this.nested = nested;
  }

  /** Reads and checks the image and domain headers; STOP when the stream cannot be interpreted. */
  StreamOutcome readHeaders(boolean libxlLegacyBit) throws IOException {
    long at = ctx.source.position();
    long before = ctx.findingCount();
    ctx.at(Layer.LIBXC, -1, "image_header");
    ImageHeader ih = ImageHeader.decode(ctx.read(ImageHeader.SIZE, ByteOrder.BIG_ENDIAN, at));
    if (ih.marker() != ImageHeader.MARKER) {
      header(at, FindingCode.LIBXC_BAD_MARKER, "image_header",
          String.format("expected marker 0xffffffffffffffff, found 0x%016x", ih.marker()));
      return StreamOutcome.STOP;
    }
    if (ih.id() != ImageHeader.ID) {
      header(at, FindingCode.LIBXC_BAD_ID, "image_header",
          String.format("expected id 0x%08x (XENF), found 0x%08x", ImageHeader.ID, ih.id()));
      return StreamOutcome.STOP;
    }
    if (ih.version() < ImageHeader.MIN_VERSION || ih.version() > ImageHeader.MAX_VERSION) {
      header(at, FindingCode.LIBXC_BAD_VERSION, "image_header",
          "expected version 2 or 3, found " + ih.version());
      return StreamOutcome.STOP;
    }
    version = (int) ih.version();
    report.streamVersion = version;
    if ((ih.options() & ImageHeader.OPT_BIG_ENDIAN) != 0) {
      header(at, FindingCode.LIBXC_BIG_ENDIAN, "image_header",
          "options bit 0 says big-endian; Xen only reads little-endian streams (read as little-endian)");
    }
    if ((ih.options() & ImageHeader.OPT_RESERVED) != 0) {
      header(at, FindingCode.LIBXC_RESERVED_OPTIONS, "image_header",
          String.format("expected option bits 1-15 clear, found options 0x%04x", ih.options()));
    }
    if (ih.reserved16() != 0 || ih.reserved32() != 0) {
      header(at, FindingCode.LIBXC_HEADER_RESERVED, "image_header",
          String.format("expected reserved fields 0, found 0x%04x and 0x%08x", ih.reserved16(), ih.reserved32()));
    }

    ctx.observe(at, Layer.LIBXC, -1, "image_header", ImageHeader.SIZE,
        String.format("version %d, options 0x%x", ih.version(), ih.options()), before);
    before = ctx.findingCount();
    at = ctx.source.position();
    ctx.at(Layer.LIBXC, -1, "domain_header");
    DomainHeader dh = DomainHeader.decode(ctx.read(DomainHeader.SIZE, ByteOrder.LITTLE_ENDIAN, at));
    if (dh.type() == DomainHeader.TYPE_X86_PV) {
      guest = GuestType.X86_PV;
    } else if (dh.type() == DomainHeader.TYPE_X86_HVM) {
      guest = GuestType.X86_HVM;
    } else {
      header(at, FindingCode.DOMAIN_BAD_TYPE, "domain_header",
          "expected type 1 (x86 PV) or 2 (x86 HVM), found " + dh.type());
    }
    report.guestType = guest;
    if (dh.pageShift() != DomainHeader.PAGE_SHIFT) {
      header(at, FindingCode.DOMAIN_BAD_PAGE_SHIFT, "domain_header",
          "expected page_shift 12, found " + dh.pageShift());
    }
    if (dh.reserved() != 0) {
      header(at, FindingCode.DOMAIN_HEADER_RESERVED, "domain_header",
          String.format("expected reserved 0, found 0x%04x", dh.reserved()));
    }
    report.xenMajor = dh.xenMajor();
    report.xenMinor = dh.xenMinor();
    checkProducer(at, dh, libxlLegacyBit);
    ctx.observe(at, Layer.LIBXC, -1, "domain_header", DomainHeader.SIZE, String.format("type %d (%s), page_shift %d, Xen %d.%d",
        dh.type(), guest == null ? "unknown" : guest.label(), dh.pageShift(), dh.xenMajor(), dh.xenMinor()), before);
    return null;
  }

  private void checkProducer(long at, DomainHeader dh, boolean libxlLegacyBit) {
    boolean converted = dh.xenMajor() == 0;
    if (converted) {
      header(at, FindingCode.LEGACY_CONVERTED, "domain_header",
          "xen_major 0: written by convert-legacy-stream version " + dh.xenMinor());
    } else {
      boolean v3Xen = dh.xenMajor() > 4 || (dh.xenMajor() == 4 && dh.xenMinor() >= 14);
      boolean oldXen = dh.xenMajor() < 4 || (dh.xenMajor() == 4 && dh.xenMinor() < 6);
      if (version == 3 && !v3Xen || version == 2 && (v3Xen || oldXen)) {
        header(at, FindingCode.XEN_VERSION_MISMATCH, "domain_header",
            String.format("a v%d stream comes from Xen %s, not Xen %d.%d",
                version, version == 3 ? "4.14 or later" : "4.6-4.13", dh.xenMajor(), dh.xenMinor()));
      }
    }
    if (nested && converted != libxlLegacyBit) {
      header(at, FindingCode.LEGACY_MARK_MISMATCH, "domain_header",
          "libxl legacy bit is " + (libxlLegacyBit ? "set" : "clear") + " but xen_major is " + dh.xenMajor());
    }
    String type = report.config.type();
    if (type != null && guest != null) {
      GuestType expected = type.equalsIgnoreCase("pv") ? GuestType.X86_PV
          : type.equalsIgnoreCase("hvm") || type.equalsIgnoreCase("pvh") ? GuestType.X86_HVM : null;
      if (expected != null && expected != guest) {
        header(at, FindingCode.CONFIG_TYPE_MISMATCH, "domain_header",
            "config says type " + type + ", domain header says " + guest.label());
      }
    }
  }

  private void header(long at, FindingCode code, String what, String message) {
    ctx.report(code, at, -1, what, Layer.LIBXC, message);
  }

  /**
   * Reads records until END, a CHECKPOINT (nested streams only) or a framing error.
   *
   * @throws EndOfInput when the input ends first
   */
  StreamOutcome readRecords() throws IOException {
    return readRecords(null, -1);
  }

  /**
   * As {@link #readRecords()}, starting with a record header the libxl reader already read (a
   * checkpoint's libxc records that came where its CHECKPOINT_END was due).
   */
  StreamOutcome readRecords(RecordHeader first, long firstOffset) throws IOException {
    RecordHeader pending = first;
    while (true) {
      long offset;
      RecordHeader h;
      if (pending != null) {
        offset = firstOffset;
        h = pending;
        pending = null;
      } else {
        offset = ctx.source.position();
        ctx.at(Layer.LIBXC, index, "record_header");
        h = ctx.readRecordHeader();
      }
      if (h == null) {
        throw new EndOfInput(offset);
      }
      long idx = index++;
      report.records++;
      long before = ctx.findingCount();
      long pagesBefore = report.pages;
      String name = LibxcRecordType.nameOf(h.type());
      ctx.at(Layer.LIBXC, idx, name);
      RecordFindings at = new RecordFindings(ctx, offset, idx, name, Layer.LIBXC);
      if (h.length() > RecordHeader.LIBXC_MAX_LENGTH) {
        at.report(FindingCode.RECORD_TOO_LONG,
            "length " + h.length() + " exceeds REC_LENGTH_MAX (" + RecordHeader.LIBXC_MAX_LENGTH + ")");
        return StreamOutcome.STOP;
      }
      if (ctx.bodyPastEnd(h)) {
        throw new EndOfInput(offset, "record declares " + (h.length() + h.padding())
            + " bytes with padding, only " + ctx.source.remaining() + " remain");
      }
      // A record the input cuts short is never seen whole by Xen, so nothing in it is judged: what a
      // streamed read found in its first bytes goes, as a seekable read never looks (it knows the size).
      ImageReport.Mark mark = report.mark();
      LibxcRecordType t = LibxcRecordType.of(h.type());
      StreamOutcome out = null;
      try {
        RecordBody body = ctx.body(h, offset);
        if (t == null) {
          unknown(h, at);
        } else {
          if (version < t.minVersion) {
            at.report(FindingCode.RECORD_V3_ONLY, name + " is not allowed in a v" + version + " stream");
          }
          if (guest != null && !t.guests.admits(guest)) {
            at.report(FindingCode.RECORD_WRONG_GUEST_TYPE, name + " does not belong in an " + guest.label() + " stream");
          }
          out = decode(t, h, body, at);
        }
        if (!ctx.finishRecord(body, h, offset)) {
          at.report(FindingCode.RECORD_PADDING_NONZERO, "the " + h.padding() + " padding bytes are not zero");
        }
      } catch (EndOfInput e) {
        report.rollBack(mark);
        throw e;
      }
      at.close();
      ctx.observe(offset, Layer.LIBXC, idx, name, h.length(),
          RecordDecodes.libxc(t, h.length(), report.pages - pagesBefore), before);
      if (out != null) {
        return out;
      }
    }
  }

  static void unknown(RecordHeader h, Located at) {
    if (h.optional()) {
      at.report(FindingCode.UNKNOWN_OPTIONAL_RECORD,
          "unknown optional record type " + RecordHeader.hexType(h.type()) + " (" + h.length() + " bytes) skipped");
    } else {
      at.report(FindingCode.UNKNOWN_MANDATORY_RECORD,
          "unknown mandatory record type " + RecordHeader.hexType(h.type()) + " (" + h.length() + " bytes)");
    }
  }

  private StreamOutcome decode(LibxcRecordType t, RecordHeader h, RecordBody body, Located at)
      throws IOException {
    if (STATIC_ONCE.contains(t) && !seenInStream.add(t)
        || CHECKPOINT_ONCE.contains(t) && !seenInCheckpoint.add(t)) {
      at.report(FindingCode.DUPLICATE_RECORD, t + " appears again" + (CHECKPOINT_ONCE.contains(t)
          ? (report.checkpoints > 0 ? " in the same checkpoint" : "") : "; it carries static state"));
    }
    seenInStream.add(t);
    long len = h.length();
    switch (t) {
      case END -> {
        marker(len, at);
        checkComplete(at);
        return StreamOutcome.END;
      }
      case PAGE_DATA -> pageData(body, at);
      case X86_PV_INFO -> pvInfo(body, at);
      case X86_PV_P2M_FRAMES -> p2mFrames(body, at);
      case X86_PV_VCPU_BASIC, X86_PV_VCPU_EXTENDED, X86_PV_VCPU_XSAVE, X86_PV_VCPU_MSRS ->
          vcpu(t, body, at);
      case SHARED_INFO -> {
        exact(len, SHARED_INFO_SIZE, at);
        requireBefore(LibxcRecordType.X86_PV_INFO, t, at);
      }
      case X86_TSC_INFO -> tscInfo(body, at);
      case HVM_CONTEXT -> {
        if (len == 0) {
          at.report(FindingCode.RECORD_LENGTH, "expected a non-empty body");
        } else {
          HvmContextCheck.check(body, at);
        }
      }
      case HVM_PARAMS -> hvmParams(body, at);
      case TOOLSTACK -> at.report(FindingCode.TOOLSTACK_RECORD,
          "deprecated TOOLSTACK record (" + len + " bytes); released savers never write it");
      case VERIFY -> {
        marker(len, at);
        if (verifySeen) {
          at.report(FindingCode.VERIFY_REPEATED, "VERIFY appears more than once");
        }
        verifySeen = true;
      }
      case CHECKPOINT -> {
        marker(len, at);
        return checkpoint(at);
      }
      case CHECKPOINT_DIRTY_PFN_LIST -> at.report(FindingCode.DIRTY_PFN_LIST_IN_STREAM,
          "CHECKPOINT_DIRTY_PFN_LIST is only sent on the COLO back channel");
      case STATIC_DATA_END -> {
        marker(len, at);
        if (sdeRecord) {
          at.report(FindingCode.STATIC_DATA_END_REPEATED, "STATIC_DATA_END appears again");
        }
        sdeRecord = true;
        staticClosed = true;
      }
      case X86_CPUID_POLICY -> cpuidPolicy(body, at);
      case X86_MSR_POLICY -> msrPolicy(body, at);
      default -> throw new IllegalStateException("no decoder for " + t);
    }
    return null;
  }

  static void marker(long len, Located at) {
    if (len != 0) {
      at.report(FindingCode.RECORD_LENGTH, "expected length 0 for a marker record, found " + len);
    }
  }

  private static boolean exact(long len, long expected, Located at) {
    if (len != expected) {
      at.report(FindingCode.RECORD_LENGTH, "expected length " + expected + ", found " + len);
      return false;
    }
    return true;
  }

  private void requireBefore(LibxcRecordType needed, LibxcRecordType t, Located at) {
    if (!seenInStream.contains(needed)) {
      at.report(FindingCode.RECORD_OUT_OF_ORDER, t + " before " + needed);
    }
  }

  /** Memory and P2M records close the static section; in v3 a STATIC_DATA_END must come first. */
  private void memory(LibxcRecordType t, Located at) {
    if (!staticClosed) {
      staticClosed = true;
      if (version >= 3 && !sdeMissingReported) {
        sdeMissingReported = true;
        at.report(FindingCode.STATIC_DATA_END_MISSING, "v3 stream: expected STATIC_DATA_END before the first " + t);
      }
    }
  }

  private void staticRecord(LibxcRecordType t, Located at) {
    if (staticClosed) {
      at.report(FindingCode.STATIC_RECORD_LATE,
          t + " after the static data ended; Xen stores it but never applies it");
    }
  }

  private void pageData(RecordBody body, Located at) throws IOException {
    long len = body.length();
    if (len <= PAGE_DATA_HEADER_SIZE) {
      at.report(FindingCode.RECORD_LENGTH, "expected more than " + PAGE_DATA_HEADER_SIZE + " bytes, found " + len);
      return;
    }
    ByteBuffer hb = body.read(PAGE_DATA_HEADER_SIZE);
    long count = Integer.toUnsignedLong(hb.getInt(0));
    long reserved = Integer.toUnsignedLong(hb.getInt(4));
    if (reserved != 0) {
      at.report(FindingCode.RECORD_RESERVED_NONZERO, String.format("expected reserved 0, found 0x%08x", reserved));
    }
    memory(LibxcRecordType.PAGE_DATA, at);
    if (guest == GuestType.X86_PV && !seenInStream.contains(LibxcRecordType.X86_PV_P2M_FRAMES)
        && !pageBeforeP2mReported) {
      pageBeforeP2mReported = true;
      at.report(FindingCode.RECORD_OUT_OF_ORDER, "PAGE_DATA before X86_PV_P2M_FRAMES in a PV stream");
    }
    if (count == 0) {
      at.report(FindingCode.PAGE_DATA_COUNT_ZERO, "expected at least one pfn, found count 0");
      return;
    }
    if ((len - PAGE_DATA_HEADER_SIZE) / PFN_SIZE < count) {
      at.report(FindingCode.RECORD_LENGTH, String.format(
          "count %d needs %d bytes of pfns, body has %d", count, count * PFN_SIZE, len - PAGE_DATA_HEADER_SIZE));
      return;
    }
    if (count > MAX_BATCH) {
      at.report(FindingCode.PAGE_DATA_BATCH_TOO_LARGE, "count " + count + " exceeds the saver's batch of " + MAX_BATCH);
    }
    long dataPages = 0;
    long badType = -1;
    long badReserved = -1;
    long pageTable = -1;
    long outOfRange = -1;
    int kept = 0;
    boolean ascending = true; // savers send ascending batches: then no sort is needed for duplicates
    long previous = -1;
    boolean pv = guest == GuestType.X86_PV && p2mEnd >= 0;
    boolean keep = count <= MAX_BATCH;
    for (long i = 0; i < count; ) {
      ByteBuffer chunk = body.readChunk((int) Math.min((count - i) * PFN_SIZE, Scratch.CAPACITY));
      // Decoded by hand from the backing array: the one loop that sees every page of a guest, and
      // ByteBuffer.getLong is a call chain that the C1 compiler (scripts/audit) does not inline.
      byte[] a = chunk.array();
      int base = chunk.arrayOffset();
      int end = base + chunk.limit();
      for (int p = base; p < end; p += PFN_SIZE, i++) {
        long v = (a[p] & 0xFFL) | (a[p + 1] & 0xFFL) << 8 | (a[p + 2] & 0xFFL) << 16
            | (a[p + 3] & 0xFFL) << 24 | (a[p + 4] & 0xFFL) << 32 | (a[p + 5] & 0xFFL) << 40
            | (a[p + 6] & 0xFFL) << 48 | (a[p + 7] & 0xFFL) << 56;
        long pfn = v & PFN_MASK;
        int type = (int) (v >>> 60);
        if (((v >>> 52) & 0xFF) != 0 && badReserved < 0) {
          badReserved = i;
        }
        if (type >= 5 && type <= 8) {
          if (badType < 0) {
            badType = i;
          }
        } else if (type <= 0xC) { // 0-4 and 9-C carry a page; D-F do not
          dataPages++;
          if (type != 0 && pageTable < 0) {
            pageTable = i;
          }
        }
        if (pv && pfn > p2mEnd && outOfRange < 0) {
          outOfRange = i;
        }
        if (keep) {
          ascending &= pfn > previous;
          previous = pfn;
          pfnScratch[kept++] = pfn;
        }
      }
    }
    if (badReserved >= 0) {
      at.report(FindingCode.PAGE_DATA_PFN_RESERVED, "pfn entry " + badReserved + " has bits 52-59 set");
    }
    if (badType >= 0) {
      at.report(FindingCode.PAGE_DATA_BAD_TYPE, "pfn entry " + badType + " has invalid type nibble 5-8");
    }
    if (pageTable >= 0 && guest == GuestType.X86_HVM) {
      at.report(FindingCode.PAGE_TABLE_IN_HVM, "pfn entry " + pageTable + " has a PV page-table type");
    }
    if (outOfRange >= 0) {
      at.report(FindingCode.PFN_OUT_OF_RANGE, "pfn entry " + outOfRange + " is above the P2M end pfn " + p2mEnd);
    }
    if (kept > 1 && !ascending) {
      Arrays.sort(pfnScratch, 0, kept);
      for (int i = 1; i < kept; i++) {
        if (pfnScratch[i] == pfnScratch[i - 1]) {
          at.report(FindingCode.PAGE_DATA_DUPLICATE_PFN, String.format("pfn 0x%x appears twice", pfnScratch[i]));
          break;
        }
      }
    }
    if (ctx.options.readPagePayload()) {
      // Full-read mode: every payload byte passes through the checksum, in bounded chunks.
      while (body.remaining() > 0) {
        ByteBuffer chunk = body.readChunk(Scratch.CAPACITY);
        report.payloadChecksum.update(chunk);
        report.payloadBytes += chunk.limit();
      }
    }
    long expected = PAGE_DATA_HEADER_SIZE + count * PFN_SIZE + dataPages * PAGE_SIZE;
    if (len != expected) {
      at.report(FindingCode.RECORD_LENGTH, String.format(
          "expected 8 + 8*%d + 4096*%d = %d bytes, found %d", count, dataPages, expected, len));
    }
    report.pages += dataPages;
  }

  private void pvInfo(RecordBody body, Located at) throws IOException {
    staticRecord(LibxcRecordType.X86_PV_INFO, at);
    if (!exact(body.length(), X86_PV_INFO_SIZE, at)) {
      return;
    }
    ByteBuffer b = body.read(X86_PV_INFO_SIZE);
    int width = Byte.toUnsignedInt(b.get(0));
    int levels = Byte.toUnsignedInt(b.get(1));
    boolean widthOk = width == 4 || width == 8;
    boolean levelsOk = levels == 3 || levels == 4;
    if (!widthOk) {
      at.report(FindingCode.PV_INFO_BAD_WIDTH, "expected guest_width 4 or 8, found " + width);
    }
    if (!levelsOk) {
      at.report(FindingCode.PV_INFO_BAD_LEVELS, "expected pt_levels 3 or 4, found " + levels);
    }
    if (widthOk && levelsOk && (width == 4) != (levels == 3)) {
      at.report(FindingCode.PV_INFO_BAD_COMBINATION,
          "expected (width, levels) (4,3) or (8,4), found (" + width + "," + levels + ")");
    }
    if (b.getShort(2) != 0 || b.getInt(4) != 0) {
      at.report(FindingCode.RECORD_RESERVED_NONZERO, "expected the 6 reserved bytes 0");
    }
    pvWidth = widthOk ? width : 0;
  }

  private void p2mFrames(RecordBody body, Located at) throws IOException {
    long len = body.length();
    requireBefore(LibxcRecordType.X86_PV_INFO, LibxcRecordType.X86_PV_P2M_FRAMES, at);
    memory(LibxcRecordType.X86_PV_P2M_FRAMES, at);
    if (len < P2M_HEADER_SIZE || len % 8 != 0) {
      at.report(FindingCode.RECORD_LENGTH, "expected a multiple of 8, at least 8, found " + len);
      return;
    }
    ByteBuffer b = body.read(P2M_HEADER_SIZE);
    long start = Integer.toUnsignedLong(b.getInt(0));
    long end = Integer.toUnsignedLong(b.getInt(4));
    if (start > end) {
      at.report(FindingCode.P2M_BAD_RANGE, "start pfn " + start + " is above end pfn " + end);
      return;
    }
    p2mEnd = end;
    if (pvWidth != 0) {
      long fpp = PAGE_SIZE / pvWidth;
      long expected = P2M_HEADER_SIZE + 8 * (end / fpp - start / fpp + 1);
      if (len != expected) {
        at.report(FindingCode.RECORD_LENGTH, String.format(
            "pfns %d..%d at %d entries per frame need %d bytes, found %d", start, end, fpp, expected, len));
      }
    }
  }

  private void vcpu(LibxcRecordType t, RecordBody body, Located at) throws IOException {
    long len = body.length();
    if (len < VCPU_HEADER_SIZE) {
      at.report(FindingCode.RECORD_LENGTH, "expected at least " + VCPU_HEADER_SIZE + " bytes, found " + len);
      return;
    }
    ByteBuffer b = body.read(VCPU_HEADER_SIZE);
    long vcpuId = Integer.toUnsignedLong(b.getInt(0));
    long reserved = Integer.toUnsignedLong(b.getInt(4));
    if (reserved != 0) {
      at.report(FindingCode.RECORD_RESERVED_NONZERO, String.format("expected reserved 0, found 0x%08x", reserved));
    }
    long blob = len - VCPU_HEADER_SIZE;
    if (blob == 0) {
      at.report(FindingCode.EMPTY_RECORD, t + " for vcpu " + vcpuId + " has no content; ignored as Xen does");
      return;
    }
    long max = report.config.maxVcpus();
    if (max > 0 && vcpuId >= max) {
      at.report(FindingCode.VCPU_ID_RANGE, "vcpu_id " + vcpuId + " is not below max_vcpus " + max);
    }
    if (vcpuId < MAX_TRACKED_VCPU
        && !markVcpu(vcpusInCheckpoint.computeIfAbsent(t, k -> new BitSet()), (int) vcpuId)) {
      at.report(FindingCode.DUPLICATE_RECORD, t + " for vcpu " + vcpuId + " appears again");
    }
    switch (t) {
      case X86_PV_VCPU_BASIC -> {
        if (vcpuId == 0) {
          vcpu0Basic = true;
        }
        long expected = pvWidth == 8 ? VCPU_CONTEXT_64 : pvWidth == 4 ? VCPU_CONTEXT_32 : -1;
        if (expected > 0 && blob != expected) {
          at.report(FindingCode.VCPU_BAD_SIZE, String.format(
              "expected a %d-byte vcpu_guest_context for a %d-bit guest, found %d", expected, pvWidth * 8, blob));
        }
      }
      case X86_PV_VCPU_EXTENDED -> {
        if (blob > VCPU_EXTENDED_MAX) {
          at.report(FindingCode.VCPU_BAD_SIZE, "expected at most " + VCPU_EXTENDED_MAX + " bytes, found " + blob);
        }
      }
      case X86_PV_VCPU_XSAVE -> {
        if (blob < VCPU_XSAVE_MIN) {
          at.report(FindingCode.VCPU_BAD_SIZE, "expected at least " + VCPU_XSAVE_MIN + " bytes, found " + blob);
        } else {
          ByteBuffer x = body.read(16);
          long xcr0 = x.getLong(0);
          long accum = x.getLong(8);
          if ((xcr0 & ~accum) != 0) {
            at.report(FindingCode.XSAVE_XCR0_NOT_SUBSET,
                String.format("xcr0 0x%x has bits outside xcr0_accum 0x%x", xcr0, accum));
          }
        }
      }
      case X86_PV_VCPU_MSRS -> {
        if (blob % VCPU_MSR_SIZE != 0) {
          at.report(FindingCode.VCPU_BAD_SIZE, "expected a multiple of 16 bytes, found " + blob);
          return;
        }
        for (long i = 0; i < blob / VCPU_MSR_SIZE; ) {
          ByteBuffer c = body.readChunk((int) Math.min((blob / VCPU_MSR_SIZE - i) * VCPU_MSR_SIZE, 4096));
          for (int p = 0; p < c.limit(); p += VCPU_MSR_SIZE, i++) {
            if (c.getInt(p + 4) != 0) {
              at.report(FindingCode.RECORD_RESERVED_NONZERO, "msr entry " + i + " has non-zero reserved field");
              return;
            }
          }
        }
      }
      default -> throw new IllegalStateException(t.name());
    }
  }

  private static boolean markVcpu(BitSet set, int id) {
    if (set.get(id)) {
      return false;
    }
    set.set(id);
    return true;
  }

  private void tscInfo(RecordBody body, Located at) throws IOException {
    if (!exact(body.length(), TSC_INFO_SIZE, at)) {
      return;
    }
    ByteBuffer b = body.read(TSC_INFO_SIZE);
    long mode = Integer.toUnsignedLong(b.getInt(0));
    long khz = Integer.toUnsignedLong(b.getInt(4));
    if (b.getInt(20) != 0) {
      at.report(FindingCode.RECORD_RESERVED_NONZERO, "expected reserved 0");
    }
    if (mode > 3) {
      at.report(FindingCode.TSC_BAD_MODE, "expected mode 0-3, found " + mode);
    }
    if (khz == 0) {
      at.report(FindingCode.TSC_ZERO_KHZ, "khz is 0");
    }
  }

  private void hvmParams(RecordBody body, Located at) throws IOException {
    long len = body.length();
    if (len < HVM_PARAMS_HEADER_SIZE) {
      at.report(FindingCode.RECORD_LENGTH, "expected at least 8 bytes, found " + len);
      return;
    }
    ByteBuffer b = body.read(HVM_PARAMS_HEADER_SIZE);
    long count = Integer.toUnsignedLong(b.getInt(0));
    if (b.getInt(4) != 0) {
      at.report(FindingCode.RECORD_RESERVED_NONZERO, "expected reserved 0");
    }
    if (count == 0) {
      at.report(FindingCode.HVM_PARAMS_EMPTY, "count is 0");
    }
    if (len != HVM_PARAMS_HEADER_SIZE + count * HVM_PARAM_SIZE) {
      at.report(FindingCode.RECORD_LENGTH,
          "expected 8 + 16*" + count + " = " + (HVM_PARAMS_HEADER_SIZE + count * HVM_PARAM_SIZE) + " bytes, found " + len);
      return;
    }
    long seen = 0;
    for (long i = 0; i < count; ) {
      ByteBuffer c = body.readChunk((int) Math.min((count - i) * HVM_PARAM_SIZE, Scratch.CAPACITY));
      for (int p = 0; p < c.limit(); p += HVM_PARAM_SIZE, i++) {
        long idx = c.getLong(p);
        if (idx < 0 || idx >= HVM_NR_PARAMS) {
          at.report(FindingCode.HVM_PARAMS_BAD_INDEX,
              "entry " + i + ": index " + Long.toUnsignedString(idx) + " is not below " + HVM_NR_PARAMS);
          continue;
        }
        if ((SAVED_HVM_PARAMS & (1L << idx)) == 0) {
          at.report(FindingCode.HVM_PARAMS_UNEXPECTED_INDEX, "entry " + i + ": param " + idx + " is not one the saver sends");
        }
        if ((seen & (1L << idx)) != 0) {
          at.report(FindingCode.HVM_PARAMS_DUPLICATE, "entry " + i + ": param " + idx + " repeated");
        }
        seen |= 1L << idx;
      }
    }
  }

  private void cpuidPolicy(RecordBody body, Located at) throws IOException {
    staticRecord(LibxcRecordType.X86_CPUID_POLICY, at);
    long len = body.length();
    if (len == 0 || len % CpuidLeaf.SIZE != 0) {
      at.report(FindingCode.RECORD_LENGTH, "expected a non-zero multiple of 24, found " + len);
      return;
    }
    List<CpuidLeaf> leaves = readEntries(body, CpuidLeaf.SIZE, (c, p) -> new CpuidLeaf(
        c.getInt(p), c.getInt(p + 4), c.getInt(p + 8), c.getInt(p + 12), c.getInt(p + 16), c.getInt(p + 20)));
    CpuidPolicyCheck.check(leaves, len / CpuidLeaf.SIZE, at);
    report.cpuid = leaves;
  }

  private void msrPolicy(RecordBody body, Located at) throws IOException {
    staticRecord(LibxcRecordType.X86_MSR_POLICY, at);
    long len = body.length();
    if (len == 0 || len % MsrEntry.SIZE != 0) {
      at.report(FindingCode.RECORD_LENGTH, "expected a non-zero multiple of 16, found " + len);
      return;
    }
    List<MsrEntry> entries = readEntries(body, MsrEntry.SIZE, (c, p) -> new MsrEntry(c.getInt(p), c.getInt(p + 4), c.getLong(p + 8)));
    MsrPolicyCheck.check(entries, len / MsrEntry.SIZE, at);
    report.msr = entries;
  }

  /** Decodes one fixed-size array entry at offset {@code p} of a chunk. */
  private interface EntryDecoder<T> {
    T decode(ByteBuffer chunk, int p);
  }

  /** The first {@code maxPolicyEntries} entries of an array record, read chunk by chunk. */
  private <T> List<T> readEntries(RecordBody body, int size, EntryDecoder<T> decoder) throws IOException {
    int keep = (int) Math.min(body.length() / size, ctx.options.maxPolicyEntries());
    List<T> out = new ArrayList<>(keep);
    int chunkEntries = Scratch.CAPACITY / size;
    while (out.size() < keep) {
      ByteBuffer c = body.read(Math.min(keep - out.size(), chunkEntries) * size);
      for (int p = 0; p < c.limit(); p += size) {
        out.add(decoder.decode(c, p));
      }
    }
    return out;
  }

  private StreamOutcome checkpoint(Located at) {
    if (report.checkpoints++ == 0) {
      at.report(FindingCode.CHECKPOINTED_STREAM, "CHECKPOINT: a Remus/COLO stream, read checkpoint by checkpoint");
      checkComplete(at);
    }
    seenInCheckpoint.clear();
    vcpusInCheckpoint.clear();
    return nested ? StreamOutcome.CHECKPOINT : null;
  }

  /** What a restorer needs by the end of the stream (or of the first checkpoint). */
  private void checkComplete(Located at) {
    if (version >= 3 && !sdeRecord && !sdeMissingReported) {
      sdeMissingReported = true;
      at.report(FindingCode.STATIC_DATA_END_MISSING, "v3 stream has no STATIC_DATA_END");
    }
    if (guest == GuestType.X86_PV) {
      if (!seenInStream.contains(LibxcRecordType.X86_PV_INFO)) {
        at.report(FindingCode.RECORD_MISSING, "PV stream has no X86_PV_INFO");
      }
      if (!vcpu0Basic) {
        at.report(FindingCode.RECORD_MISSING, "PV stream has no X86_PV_VCPU_BASIC for vcpu 0");
      }
    } else if (guest == GuestType.X86_HVM && !seenInStream.contains(LibxcRecordType.HVM_CONTEXT)) {
      at.report(FindingCode.RECORD_MISSING, "HVM stream has no HVM_CONTEXT");
    }
  }

  private static long bits(int... positions) {
    long m = 0;
    for (int p : positions) {
      m |= 1L << p;
    }
    return m;
  }
}
