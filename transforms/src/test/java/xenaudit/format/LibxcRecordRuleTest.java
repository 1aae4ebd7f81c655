package xenaudit.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static xenaudit.format.FindingCode.*;
import static xenaudit.format.RuleImages.*;
import static xenaudit.format.Severity.ERROR;
import static xenaudit.format.Severity.INFO;
import static xenaudit.format.Severity.WARNING;
import static xenaudit.sample.StreamWriter.CHECKPOINT_DIRTY_PFN_LIST;
import static xenaudit.sample.StreamWriter.END;
import static xenaudit.sample.StreamWriter.HVM_CONTEXT;
import static xenaudit.sample.StreamWriter.HVM_PARAMS;
import static xenaudit.sample.StreamWriter.PAGE_BROKEN;
import static xenaudit.sample.StreamWriter.PAGE_L1TAB;
import static xenaudit.sample.StreamWriter.PAGE_L4TAB;
import static xenaudit.sample.StreamWriter.PAGE_NOTAB;
import static xenaudit.sample.StreamWriter.PAGE_PINNED;
import static xenaudit.sample.StreamWriter.PAGE_XTAB;
import static xenaudit.sample.StreamWriter.SHARED_INFO;
import static xenaudit.sample.StreamWriter.STATIC_DATA_END;
import static xenaudit.sample.StreamWriter.TOOLSTACK;
import static xenaudit.sample.StreamWriter.VERIFY;
import static xenaudit.sample.StreamWriter.X86_CPUID_POLICY;
import static xenaudit.sample.StreamWriter.X86_MSR_POLICY;
import static xenaudit.sample.StreamWriter.X86_PV_INFO;
import static xenaudit.sample.StreamWriter.X86_PV_P2M_FRAMES;
import static xenaudit.sample.StreamWriter.X86_PV_VCPU_BASIC;
import static xenaudit.sample.StreamWriter.X86_PV_VCPU_EXTENDED;
import static xenaudit.sample.StreamWriter.X86_PV_VCPU_MSRS;
import static xenaudit.sample.StreamWriter.X86_PV_VCPU_XSAVE;
import static xenaudit.sample.StreamWriter.X86_TSC_INFO;
import static xenaudit.sample.StreamWriter.pfnEntry;

import org.junit.jupiter.api.Test;
import xenaudit.sample.GuestSpec;
import xenaudit.sample.HvmContextBuilder;
import xenaudit.sample.ImagePlan;
import xenaudit.sample.StreamWriter;

/**
 * The content rules of each libxc record type: length, reserved fields and padding, PAGE_DATA, the
 * PV records, TSC_INFO, the HVM_CONTEXT descriptor chain and HVM_PARAMS, unknown record types.
 */
class LibxcRecordRuleTest {
  static final int VCPU_CONTEXT_64 = 5168;
  static final int PAGE = 4096;

  /** The HVM image with its memory pass replaced by one PAGE_DATA record. */
  static Plan hvmPages(long[] entries, long count, long reserved, long payloadPages) {
    return hvm().replace(ImagePlan.MEMORY, -1, w -> w.pageData(entries, count, reserved, -1, payloadPages, null));
  }

  static Plan hvmPages(long... entries) {
    return hvm().replace(ImagePlan.MEMORY, -1, w -> w.pageData(entries));
  }

  /** The PV image with one more PAGE_DATA record after its memory pass. */
  static Plan pvExtraPages(long... entries) {
    return pv().afterMemory(StreamWriter.PAGE_DATA, w -> w.pageData(entries));
  }

  static Plan pvVcpu(long type, int vcpu, byte[] head, long zeros) {
    return pv().replaceLibxc(type, w -> w.pvVcpu(type, vcpu, head, zeros));
  }

  static Plan hvmContext(byte[] blob) {
    return hvm().replaceLibxc(HVM_CONTEXT, w -> w.libxcRecord(HVM_CONTEXT, blob));
  }

  static HvmContextBuilder header() {
    return new HvmContextBuilder().header(0x5A000001L, 0x50657, 2_500_000);
  }

  static Plan hvmParams(long[][] params) {
    return hvm().replaceLibxc(HVM_PARAMS, w -> w.hvmParams(params));
  }

  // ------------------------------------------------------------------ length rules, record by record

  @Test
  void markerLength() {
    for (long type : new long[] {END, STATIC_DATA_END}) {
      Image img = hvm().replaceLibxc(type, w -> w.libxcRecord(type, new byte[8])).write();
      check(img).has(ERROR, RECORD_LENGTH, img.mark("libxc:" + StreamWriter.libxcName(type))).invalid();
    }
    Image verify = hvm().afterMemory(VERIFY, w -> w.libxcRecord(VERIFY, new byte[4])).write();
    check(verify).has(ERROR, RECORD_LENGTH, verify.mark("libxc:VERIFY")).invalid();

    // CHECKPOINT of a Remus stream.
    Image checkpoint = checkpointed(spec(GuestSpec.Kind.HVM), 1)
        .replaceLibxc(StreamWriter.CHECKPOINT, w -> w.libxcRecord(StreamWriter.CHECKPOINT, new byte[8])).write();
    check(checkpoint).has(ERROR, RECORD_LENGTH, checkpoint.mark("libxc:CHECKPOINT")).invalid();

    check(hvm().afterMemory(VERIFY, StreamWriter::verify).write()).lacks(RECORD_LENGTH).clean();
    check(checkpointed(spec(GuestSpec.Kind.HVM), 1).write()).lacks(RECORD_LENGTH).valid();
  }

  @Test
  void pageDataLength() {
    // Only the count/reserved header: Xen needs at least one pfn.
    Image header = hvm().replace(ImagePlan.MEMORY, -1, w -> w.libxcRecord(StreamWriter.PAGE_DATA, le(1, 0))).write();
    check(header).has(ERROR, RECORD_LENGTH, header.mark("libxc:PAGE_DATA")).invalid();
    // count says 2, one pfn follows.
    Image shortPfns = hvmPages(new long[] {pfnEntry(0, PAGE_XTAB)}, 2, 0, 0).write();
    check(shortPfns).has(ERROR, RECORD_LENGTH, shortPfns.mark("libxc:PAGE_DATA")).invalid();
    // A data-carrying pfn without its page, and an XTAB pfn with one.
    Image noPage = hvmPages(new long[] {pfnEntry(0, PAGE_NOTAB)}, 1, 0, 0).write();
    check(noPage).has(ERROR, RECORD_LENGTH, noPage.mark("libxc:PAGE_DATA")).invalid();
    Image extraPage = hvmPages(new long[] {pfnEntry(0, PAGE_XTAB)}, 1, 0, 1).write();
    check(extraPage).has(ERROR, RECORD_LENGTH, extraPage.mark("libxc:PAGE_DATA")).invalid();

    // 8 + 8*count + 4096*pages exactly; XTAB, BROKEN and XALLOC carry no page.
    check(hvmPages(pfnEntry(0, PAGE_NOTAB), pfnEntry(1, PAGE_XTAB), pfnEntry(2, PAGE_BROKEN),
        pfnEntry(3, StreamWriter.PAGE_XALLOC)).write()).lacks(RECORD_LENGTH).clean();
  }

  @Test
  void pvInfoLength() {
    Image img = pv().replaceLibxc(X86_PV_INFO, w -> w.libxcRecord(X86_PV_INFO, le(0x0408, 0, 0, 0))).write();
    check(img).has(ERROR, RECORD_LENGTH, img.mark("libxc:X86_PV_INFO")).invalid();
    check(pv().write()).lacks(RECORD_LENGTH).clean();
  }

  @Test
  void p2mFramesLength() {
    // Not a multiple of 8.
    Image odd = pv().replaceLibxc(X86_PV_P2M_FRAMES, w -> w.libxcRecord(X86_PV_P2M_FRAMES, le(0, 511, 68))).write();
    check(odd).has(ERROR, RECORD_LENGTH, odd.mark("libxc:X86_PV_P2M_FRAMES")).invalid();
    // pfns 0..511 of a 64-bit guest fit one frame (512 entries per frame), not two.
    Image two = pv().replaceLibxc(X86_PV_P2M_FRAMES, w -> w.p2mFrames(0, 511, new long[] {68, 69})).write();
    check(two).has(ERROR, RECORD_LENGTH, two.mark("libxc:X86_PV_P2M_FRAMES")).invalid();
    // pfns 0..512 need two.
    Image one = pv().replaceLibxc(X86_PV_P2M_FRAMES, w -> w.p2mFrames(0, 512, new long[] {68})).write();
    check(one).has(ERROR, RECORD_LENGTH, one.mark("libxc:X86_PV_P2M_FRAMES")).invalid();

    check(pv().replaceLibxc(X86_PV_P2M_FRAMES, w -> w.p2mFrames(0, 512, new long[] {68, 69})).write())
        .lacks(RECORD_LENGTH).clean();
    check(pv().write()).lacks(RECORD_LENGTH).clean();
  }

  @Test
  void vcpuLength() {
    Image img = pv().replaceLibxc(X86_PV_VCPU_MSRS, w -> w.libxcRecord(X86_PV_VCPU_MSRS, le(0))).write();
    check(img).has(ERROR, RECORD_LENGTH, img.mark("libxc:X86_PV_VCPU_MSRS")).invalid();
    check(pv().write()).lacks(RECORD_LENGTH).clean();
  }

  @Test
  void sharedInfoLength() {
    for (int n : new int[] {PAGE - 1, PAGE + 8}) {
      Image img = pv().replaceLibxc(SHARED_INFO, w -> w.libxcRecord(SHARED_INFO, new byte[n])).write();
      check(img).has(ERROR, RECORD_LENGTH, img.mark("libxc:SHARED_INFO")).invalid();
    }
    check(pv().replaceLibxc(SHARED_INFO, w -> w.libxcRecord(SHARED_INFO, new byte[PAGE])).write())
        .lacks(RECORD_LENGTH).clean();
  }

  @Test
  void tscInfoLength() {
    Image img = hvm().replaceLibxc(X86_TSC_INFO, w -> w.libxcRecord(X86_TSC_INFO, le(0, 2_500_000, 0, 0))).write();
    check(img).has(ERROR, RECORD_LENGTH, img.mark("libxc:X86_TSC_INFO")).invalid();
    check(hvm().write()).lacks(RECORD_LENGTH).clean();
  }

  @Test
  void hvmContextLength() {
    Image img = hvmContext(new byte[0]).write();
    check(img).has(ERROR, RECORD_LENGTH, img.mark("libxc:HVM_CONTEXT")).lacks(RECORD_MISSING).invalid();
    check(hvm().write()).lacks(RECORD_LENGTH).clean();
  }

  @Test
  void hvmParamsLength() {
    Image tiny = hvm().replaceLibxc(HVM_PARAMS, w -> w.libxcRecord(HVM_PARAMS, le(0))).write();
    check(tiny).has(ERROR, RECORD_LENGTH, tiny.mark("libxc:HVM_PARAMS")).invalid();
    // count 2, one entry.
    Image shortEntries = hvm().replaceLibxc(HVM_PARAMS, w -> w.libxcRecord(HVM_PARAMS, le(2, 0, 1, 0, 0xFEFFC, 0)))
        .write();
    check(shortEntries).has(ERROR, RECORD_LENGTH, shortEntries.mark("libxc:HVM_PARAMS")).invalid();
    check(hvm().write()).lacks(RECORD_LENGTH).clean();
  }

  @Test
  void policyLength() {
    Image cpuid = hvm().replaceLibxc(X86_CPUID_POLICY, w -> w.libxcRecord(X86_CPUID_POLICY, new byte[25])).write();
    check(cpuid).has(ERROR, RECORD_LENGTH, cpuid.mark("libxc:X86_CPUID_POLICY")).invalid();
    Image empty = hvm().replaceLibxc(X86_CPUID_POLICY, w -> w.libxcRecord(X86_CPUID_POLICY, new byte[0])).write();
    check(empty).has(ERROR, RECORD_LENGTH, empty.mark("libxc:X86_CPUID_POLICY")).invalid();
    Image msr = hvm().replaceLibxc(X86_MSR_POLICY, w -> w.libxcRecord(X86_MSR_POLICY, new byte[24])).write();
    check(msr).has(ERROR, RECORD_LENGTH, msr.mark("libxc:X86_MSR_POLICY")).invalid();
    check(hvm().write()).lacks(RECORD_LENGTH).clean();
  }

  @Test
  void recordTooLong() {
    // Declared length above REC_LENGTH_MAX (128 MiB): the framing cannot be trusted, reading stops.
    long max = 128L << 20;
    Image img = hvm().beforeLibxc(END, X86_TSC_INFO, w -> w.libxcRecord(X86_TSC_INFO, new byte[0], max + 1, new byte[0]))
        .write();
    check(img).has(ERROR, RECORD_TOO_LONG, img.mark("libxc:X86_TSC_INFO", 1)).invalid();
    // Exactly the cap is allowed; this one is then cut short by the end of the input.
    Image cap = hvm().beforeLibxc(END, X86_TSC_INFO, w -> w.libxcRecord(X86_TSC_INFO, new byte[0], max, new byte[0]))
        .write();
    check(cap).lacks(RECORD_TOO_LONG).has(ERROR, TRUNCATED, cap.mark("libxc:X86_TSC_INFO", 1)).invalid();
    check(hvm().write()).lacks(RECORD_TOO_LONG).clean();
  }

  // ------------------------------------------------------------------ padding and reserved fields

  @Test
  void paddingNonzero() {
    // A 61-byte EXTENDED blob: 69-byte body, 3 bytes of padding.
    byte[] body = concat(le(0, 0), new byte[61]);
    Image img = pv().replaceLibxc(X86_PV_VCPU_EXTENDED,
        w -> w.libxcRecord(X86_PV_VCPU_EXTENDED, body, -1, new byte[] {0, 0, (byte) 0x80})).write();
    check(img).has(ERROR, RECORD_PADDING_NONZERO, img.mark("libxc:X86_PV_VCPU_EXTENDED")).invalid();

    check(pv().replaceLibxc(X86_PV_VCPU_EXTENDED, w -> w.libxcRecord(X86_PV_VCPU_EXTENDED, body, -1, new byte[3]))
        .write()).lacks(RECORD_PADDING_NONZERO).clean();
  }

  @Test
  void reservedNonzero() {
    Image pages = hvmPages(new long[] {pfnEntry(0, PAGE_NOTAB)}, 1, 1, 1).write();
    check(pages).has(ERROR, RECORD_RESERVED_NONZERO, pages.mark("libxc:PAGE_DATA")).invalid();

    Image pvInfo = pv().replaceLibxc(X86_PV_INFO, w -> w.libxcRecord(X86_PV_INFO, le(0x0408, 1L << 24))).write();
    check(pvInfo).has(ERROR, RECORD_RESERVED_NONZERO, pvInfo.mark("libxc:X86_PV_INFO")).invalid();

    Image vcpu = pv().replaceLibxc(X86_PV_VCPU_EXTENDED,
        w -> w.libxcRecord(X86_PV_VCPU_EXTENDED, concat(le(0, 1), new byte[64]))).write();
    check(vcpu).has(ERROR, RECORD_RESERVED_NONZERO, vcpu.mark("libxc:X86_PV_VCPU_EXTENDED")).invalid();

    // The reserved u32 of an MSR entry (index, reserved, value).
    Image msrs = pv().replaceLibxc(X86_PV_VCPU_MSRS,
        w -> w.libxcRecord(X86_PV_VCPU_MSRS, concat(le(0, 0), le(0x48, 0), le64(4), le(0xC0000103L, 7), le64(0))))
        .write();
    check(msrs).has(ERROR, RECORD_RESERVED_NONZERO, msrs.mark("libxc:X86_PV_VCPU_MSRS")).invalid();

    Image tsc = hvm().replaceLibxc(X86_TSC_INFO,
        w -> w.libxcRecord(X86_TSC_INFO, concat(le(0, 2_500_000), le64(1), le(0, 1)))).write();
    check(tsc).has(ERROR, RECORD_RESERVED_NONZERO, tsc.mark("libxc:X86_TSC_INFO")).invalid();

    Image params = hvm().replaceLibxc(HVM_PARAMS,
        w -> w.libxcRecord(HVM_PARAMS, concat(le(1, 1), le64(1), le64(0xFEFFC)))).write();
    check(params).has(ERROR, RECORD_RESERVED_NONZERO, params.mark("libxc:HVM_PARAMS")).invalid();

    check(hvm().write()).lacks(RECORD_RESERVED_NONZERO).clean();
    check(pv().replaceLibxc(X86_PV_VCPU_MSRS,
        w -> w.libxcRecord(X86_PV_VCPU_MSRS, concat(le(0, 0), le(0x48, 0), le64(4), le(0xC0000103L, 0), le64(0))))
        .write()).lacks(RECORD_RESERVED_NONZERO).clean();
  }

  // ------------------------------------------------------------------ unknown and foreign record types

  @Test
  void unknownMandatoryRecord() {
    for (long type : new long[] {0x13, 0x7FFFFFFFL}) {
      Image img = hvm().beforeLibxc(END, type, w -> w.libxcRecord(type, new byte[16])).write();
      check(img).has(ERROR, UNKNOWN_MANDATORY_RECORD, img.mark("libxc:" + StreamWriter.libxcName(type))).invalid();
    }
    check(hvm().write()).lacks(UNKNOWN_MANDATORY_RECORD).clean();
  }

  @Test
  void unknownOptionalRecord() {
    for (long type : new long[] {0x80000000L, 0x80000013L, 0xFFFFFFFFL}) {
      Image img = hvm().beforeLibxc(END, type, w -> w.libxcRecord(type, new byte[13])).write();
      check(img).has(WARNING, UNKNOWN_OPTIONAL_RECORD, img.mark("libxc:" + StreamWriter.libxcName(type)))
          .lacks(UNKNOWN_MANDATORY_RECORD).valid();
    }
    check(hvm().write()).lacks(UNKNOWN_OPTIONAL_RECORD).clean();
  }

  @Test
  void toolstackRecord() {
    Image img = hvm().beforeLibxc(END, TOOLSTACK, w -> w.libxcRecord(TOOLSTACK, new byte[24])).write();
    check(img).has(ERROR, TOOLSTACK_RECORD, img.mark("libxc:TOOLSTACK")).invalid();
    check(hvm().write()).lacks(TOOLSTACK_RECORD).clean();
  }

  @Test
  void dirtyPfnListInStream() {
    Image img = hvm().beforeLibxc(END, CHECKPOINT_DIRTY_PFN_LIST,
        w -> w.libxcRecord(CHECKPOINT_DIRTY_PFN_LIST, concat(le64(1), le64(2)))).write();
    check(img).has(ERROR, DIRTY_PFN_LIST_IN_STREAM, img.mark("libxc:CHECKPOINT_DIRTY_PFN_LIST")).invalid();
    check(hvm().write()).lacks(DIRTY_PFN_LIST_IN_STREAM).clean();
  }

  // ------------------------------------------------------------------ PAGE_DATA

  @Test
  void pageDataCountZero() {
    Image img = hvmPages(new long[] {pfnEntry(0, PAGE_NOTAB)}, 0, 0, 1).write();
    check(img).has(ERROR, PAGE_DATA_COUNT_ZERO, img.mark("libxc:PAGE_DATA")).invalid();
    check(hvmPages(new long[] {pfnEntry(0, PAGE_NOTAB)}, 1, 0, 1).write()).lacks(PAGE_DATA_COUNT_ZERO).clean();
  }

  @Test
  void pageDataBadType() {
    for (int type = 5; type <= 8; type++) {
      Image img = hvmPages(pfnEntry(0, PAGE_NOTAB), pfnEntry(1, type)).write();
      check(img).has(ERROR, PAGE_DATA_BAD_TYPE, img.mark("libxc:PAGE_DATA")).lacks(RECORD_LENGTH).invalid();
      assertEquals(1, img.read().pages(), "an invalid type carries no page");
    }
    // The neighbours: 4 (L4TAB) and 9 (pinned L1TAB) carry pages; 0xD (BROKEN) does not.
    check(pvExtraPages(pfnEntry(100, PAGE_L4TAB), pfnEntry(101, PAGE_PINNED | PAGE_L1TAB), pfnEntry(102, PAGE_BROKEN))
        .write()).lacks(PAGE_DATA_BAD_TYPE).clean();
  }

  @Test
  void pageDataPfnReserved() {
    for (int bit : new int[] {52, 59}) {
      Image img = hvmPages(pfnEntry(0, PAGE_NOTAB) | 1L << bit).write();
      check(img).has(ERROR, PAGE_DATA_PFN_RESERVED, img.mark("libxc:PAGE_DATA")).invalid();
    }
    // Bit 51 is the top of the pfn; an HVM pfn is not range-checked.
    check(hvmPages(pfnEntry(1L << 51, PAGE_NOTAB)).write()).lacks(PAGE_DATA_PFN_RESERVED).clean();
  }

  @Test
  void pageDataBatchTooLarge() {
    Image img = hvmPages(xtabs(1025)).write();
    check(img).has(WARNING, PAGE_DATA_BATCH_TOO_LARGE, img.mark("libxc:PAGE_DATA")).valid();
    check(hvmPages(xtabs(1024)).write()).lacks(PAGE_DATA_BATCH_TOO_LARGE).clean();
  }

  static long[] xtabs(int n) {
    long[] e = new long[n];
    for (int i = 0; i < n; i++) {
      e[i] = pfnEntry(i, PAGE_XTAB);
    }
    return e;
  }

  @Test
  void pageDataDuplicatePfn() {
    Image img = hvmPages(pfnEntry(5, PAGE_NOTAB), pfnEntry(6, PAGE_NOTAB), pfnEntry(5, PAGE_NOTAB)).write();
    check(img).has(WARNING, PAGE_DATA_DUPLICATE_PFN, img.mark("libxc:PAGE_DATA")).valid();
    // The same pfn in two records is a live-migration resend, not a duplicate.
    check(hvmPages(pfnEntry(5, PAGE_NOTAB), pfnEntry(6, PAGE_NOTAB)).afterMemory(StreamWriter.PAGE_DATA,
        w -> w.pageData(new long[] {pfnEntry(5, PAGE_NOTAB)})).write()).lacks(PAGE_DATA_DUPLICATE_PFN).clean();
  }

  @Test
  void pageTableInHvm() {
    Image img = hvmPages(pfnEntry(0, PAGE_NOTAB), pfnEntry(1, PAGE_L1TAB)).write();
    check(img).has(WARNING, PAGE_TABLE_IN_HVM, img.mark("libxc:PAGE_DATA")).valid();
    Image pinned = hvmPages(pfnEntry(0, PAGE_PINNED | PAGE_L4TAB)).write();
    check(pinned).has(WARNING, PAGE_TABLE_IN_HVM, pinned.mark("libxc:PAGE_DATA")).valid();

    check(hvmPages(pfnEntry(0, PAGE_NOTAB), pfnEntry(1, PAGE_XTAB)).write()).lacks(PAGE_TABLE_IN_HVM).clean();
    check(pvExtraPages(pfnEntry(100, PAGE_L1TAB)).write()).lacks(PAGE_TABLE_IN_HVM).clean();
  }

  @Test
  void pfnOutOfRange() {
    // The PV guest's P2M covers pfns 0..511.
    Image img = pvExtraPages(pfnEntry(100, PAGE_NOTAB), pfnEntry(512, PAGE_NOTAB)).write();
    check(img).has(ERROR, PFN_OUT_OF_RANGE, img.mark("libxc:PAGE_DATA", 1)).invalid();
    check(pvExtraPages(pfnEntry(100, PAGE_NOTAB), pfnEntry(511, PAGE_NOTAB)).write()).lacks(PFN_OUT_OF_RANGE).clean();
    // No P2M in HVM: any pfn.
    check(hvmPages(pfnEntry(0x100000, PAGE_NOTAB)).write()).lacks(PFN_OUT_OF_RANGE).clean();
  }

  // ------------------------------------------------------------------ PV records

  static Plan pvInfo(Plan p, int width, int levels) {
    return p.replaceLibxc(X86_PV_INFO, w -> w.pvInfo(width, levels));
  }

  @Test
  void pvInfoBadWidth() {
    for (int width : new int[] {0, 2, 16}) {
      Image img = pvInfo(pv(), width, 4).write();
      check(img).has(ERROR, PV_INFO_BAD_WIDTH, img.mark("libxc:X86_PV_INFO")).lacks(PV_INFO_BAD_LEVELS).invalid();
    }
    check(pv().write()).lacks(PV_INFO_BAD_WIDTH).clean();
  }

  @Test
  void pvInfoBadLevels() {
    for (int levels : new int[] {2, 5}) {
      Image img = pvInfo(pv(), 8, levels).write();
      check(img).has(ERROR, PV_INFO_BAD_LEVELS, img.mark("libxc:X86_PV_INFO")).lacks(PV_INFO_BAD_WIDTH).invalid();
    }
    check(pv().write()).lacks(PV_INFO_BAD_LEVELS).clean();
  }

  @Test
  void pvInfoBadCombination() {
    Image w8l3 = pvInfo(pv(), 8, 3).write();
    check(w8l3).has(ERROR, PV_INFO_BAD_COMBINATION, w8l3.mark("libxc:X86_PV_INFO")).invalid();
    GuestSpec pv32 = spec(GuestSpec.Kind.PV).withPvWidth(4);
    Image w4l4 = pvInfo(plan(pv32), 4, 4).write();
    check(w4l4).has(ERROR, PV_INFO_BAD_COMBINATION, w4l4.mark("libxc:X86_PV_INFO")).invalid();

    check(pv().write()).lacks(PV_INFO_BAD_COMBINATION).clean();
    check(plan(pv32).write()).lacks(PV_INFO_BAD_COMBINATION).clean();
  }

  @Test
  void p2mBadRange() {
    Image img = pv().replaceLibxc(X86_PV_P2M_FRAMES, w -> w.p2mFrames(512, 511, new long[] {68})).write();
    check(img).has(ERROR, P2M_BAD_RANGE, img.mark("libxc:X86_PV_P2M_FRAMES")).invalid();
    check(pv().replaceLibxc(X86_PV_P2M_FRAMES, w -> w.p2mFrames(511, 511, new long[] {68})).write())
        .lacks(P2M_BAD_RANGE).clean();
  }

  @Test
  void vcpuBadSize() {
    Image basic = pvVcpu(X86_PV_VCPU_BASIC, 0, new byte[0], VCPU_CONTEXT_64 - 1).write();
    check(basic).has(ERROR, VCPU_BAD_SIZE, basic.mark("libxc:X86_PV_VCPU_BASIC")).invalid();
    Image ext = pvVcpu(X86_PV_VCPU_EXTENDED, 0, new byte[0], 129).write();
    check(ext).has(ERROR, VCPU_BAD_SIZE, ext.mark("libxc:X86_PV_VCPU_EXTENDED")).invalid();
    Image xsave = pvVcpu(X86_PV_VCPU_XSAVE, 0, new byte[0], 15).write();
    check(xsave).has(ERROR, VCPU_BAD_SIZE, xsave.mark("libxc:X86_PV_VCPU_XSAVE")).invalid();
    Image msrs = pvVcpu(X86_PV_VCPU_MSRS, 0, new byte[0], 24).write();
    check(msrs).has(ERROR, VCPU_BAD_SIZE, msrs.mark("libxc:X86_PV_VCPU_MSRS")).invalid();

    check(pvVcpu(X86_PV_VCPU_BASIC, 0, new byte[0], VCPU_CONTEXT_64).write()).lacks(VCPU_BAD_SIZE).clean();
    check(pvVcpu(X86_PV_VCPU_EXTENDED, 0, new byte[0], 128).write()).lacks(VCPU_BAD_SIZE).clean();
    check(pvVcpu(X86_PV_VCPU_XSAVE, 0, new byte[0], 16).write()).lacks(VCPU_BAD_SIZE).clean();
    check(pvVcpu(X86_PV_VCPU_MSRS, 0, new byte[0], 32).write()).lacks(VCPU_BAD_SIZE).clean();
    // A 32-bit guest's context is 2800 bytes.
    check(plan(spec(GuestSpec.Kind.PV).withPvWidth(4)).write()).lacks(VCPU_BAD_SIZE).clean();
  }

  @Test
  void vcpuIdRange() {
    // The config says max_vcpus 2: vcpu 2 does not exist.
    Image img = pv().afterLibxc(X86_PV_VCPU_XSAVE, X86_PV_VCPU_EXTENDED,
        w -> w.pvVcpu(X86_PV_VCPU_EXTENDED, 2, new byte[0], 64)).write();
    check(img).has(ERROR, VCPU_ID_RANGE, img.last("libxc:X86_PV_VCPU_EXTENDED")).invalid();

    check(pv().write()).lacks(VCPU_ID_RANGE).clean();
    // Without a config there is nothing to compare with.
    check(plan(spec(GuestSpec.Kind.PV).withContainer(Container.LIBXL)).afterLibxc(X86_PV_VCPU_XSAVE,
        X86_PV_VCPU_EXTENDED, w -> w.pvVcpu(X86_PV_VCPU_EXTENDED, 2, new byte[0], 64)).write()).lacks(VCPU_ID_RANGE)
        .clean();
  }

  @Test
  void xsaveXcr0NotSubset() {
    Image img = pvVcpu(X86_PV_VCPU_XSAVE, 0, concat(le64(7), le64(3)), 576).write();
    check(img).has(ERROR, XSAVE_XCR0_NOT_SUBSET, img.mark("libxc:X86_PV_VCPU_XSAVE")).invalid();
    check(pvVcpu(X86_PV_VCPU_XSAVE, 0, concat(le64(3), le64(7)), 576).write()).lacks(XSAVE_XCR0_NOT_SUBSET).clean();
  }

  @Test
  void emptyRecord() {
    // Xen 4.6-4.8 could send a vCPU record with no content: ignored.
    Image img = pv().replaceLibxc(X86_PV_VCPU_EXTENDED, w -> w.pvVcpu(X86_PV_VCPU_EXTENDED, 0, new byte[0])).write();
    check(img).has(INFO, EMPTY_RECORD, img.mark("libxc:X86_PV_VCPU_EXTENDED")).valid();
    check(pv().write()).lacks(EMPTY_RECORD).clean();
  }

  // ------------------------------------------------------------------ TSC_INFO

  @Test
  void tscBadMode() {
    Image img = hvm().replaceLibxc(X86_TSC_INFO, w -> w.tscInfo(4, 2_500_000, 1, 0)).write();
    check(img).has(ERROR, TSC_BAD_MODE, img.mark("libxc:X86_TSC_INFO")).invalid();
    check(hvm().replaceLibxc(X86_TSC_INFO, w -> w.tscInfo(3, 2_500_000, 1, 0)).write()).lacks(TSC_BAD_MODE).clean();
  }

  @Test
  void tscZeroKhz() {
    Image img = hvm().replaceLibxc(X86_TSC_INFO, w -> w.tscInfo(0, 0, 1, 0)).write();
    check(img).has(WARNING, TSC_ZERO_KHZ, img.mark("libxc:X86_TSC_INFO")).valid();
    check(hvm().replaceLibxc(X86_TSC_INFO, w -> w.tscInfo(0, 1, 1, 0)).write()).lacks(TSC_ZERO_KHZ).clean();
  }

  // ------------------------------------------------------------------ HVM_CONTEXT

  @Test
  void hvmContextBadChain() {
    byte[][] broken = {
        // no HEADER first
        new HvmContextBuilder().add(HvmContextBuilder.CPU, 0, 1032).end().toBytes(),
        // HEADER with a wrong magic, a wrong version, too short
        new HvmContextBuilder().header(0x54381287L, 1, 0, 0x50657, 2_500_000).end().toBytes(),
        new HvmContextBuilder().header(0x54381286L, 2, 0, 0x50657, 2_500_000).end().toBytes(),
        new HvmContextBuilder().add(HvmContextBuilder.HEADER, 0, concat(le(0x54381286L, 1), new byte[8])).end()
            .toBytes(),
        // no END
        header().add(HvmContextBuilder.CPU, 0, 1032).toBytes(),
        // END with a length, a descriptor after END, stray bytes after END
        header().add(HvmContextBuilder.END, 0, 8).toBytes(),
        header().end().add(HvmContextBuilder.CPU, 0, 8).toBytes(),
        concat(header().end().toBytes(), new byte[3]),
        // a descriptor longer than what is left of the record
        concat(header().toBytes(), le(HvmContextBuilder.CPU, 1032), new byte[16]),
    };
    for (byte[] blob : broken) {
      Image img = hvmContext(blob).write();
      check(img).has(ERROR, HVM_CONTEXT_BAD_CHAIN, img.mark("libxc:HVM_CONTEXT")).invalid();
    }
    check(hvmContext(header().end().toBytes()).write()).lacks(HVM_CONTEXT_BAD_CHAIN).clean();
    check(hvm().write()).lacks(HVM_CONTEXT_BAD_CHAIN).clean();
  }

  @Test
  void hvmContextUnknownType() {
    Image img = hvmContext(header().add(21, 0, 16).end().toBytes()).write();
    check(img).has(ERROR, HVM_CONTEXT_UNKNOWN_TYPE, img.mark("libxc:HVM_CONTEXT")).invalid();
    // 20 (CPU_MSR) is the highest known typecode.
    check(hvmContext(header().add(HvmContextBuilder.CPU_MSR, 0, 24).end().toBytes()).write())
        .lacks(HVM_CONTEXT_UNKNOWN_TYPE).clean();
  }

  // ------------------------------------------------------------------ HVM_PARAMS

  @Test
  void hvmParamsEmpty() {
    Image img = hvmParams(new long[0][]).write();
    check(img).has(WARNING, HVM_PARAMS_EMPTY, img.mark("libxc:HVM_PARAMS")).lacks(RECORD_LENGTH).valid();
    check(hvm().write()).lacks(HVM_PARAMS_EMPTY).clean();
  }

  @Test
  void hvmParamsBadIndex() {
    for (long index : new long[] {39, 1L << 32, -1L}) {
      Image img = hvmParams(new long[][] {{1, 0xFEFFC}, {index, 1}}).write();
      check(img).has(ERROR, HVM_PARAMS_BAD_INDEX, img.mark("libxc:HVM_PARAMS")).invalid();
    }
    // 38 (MCA_CAP) is the highest param the saver sends.
    check(hvmParams(new long[][] {{1, 0xFEFFC}, {38, 1}}).write()).lacks(HVM_PARAMS_BAD_INDEX).clean();
  }

  @Test
  void hvmParamsUnexpectedIndex() {
    Image img = hvmParams(new long[][] {{1, 0xFEFFC}, {2, 3}}).write();
    check(img).has(WARNING, HVM_PARAMS_UNEXPECTED_INDEX, img.mark("libxc:HVM_PARAMS")).valid();
    // PAE_ENABLED (4) comes from old streams and is dropped on restore.
    check(hvmParams(new long[][] {{1, 0xFEFFC}, {4, 1}}).write()).lacks(HVM_PARAMS_UNEXPECTED_INDEX).clean();
  }

  @Test
  void hvmParamsDuplicate() {
    Image img = hvmParams(new long[][] {{1, 0xFEFFC}, {17, 0xFEFFF}, {1, 0xFEFFC}}).write();
    check(img).has(WARNING, HVM_PARAMS_DUPLICATE, img.mark("libxc:HVM_PARAMS")).valid();
    check(hvmParams(new long[][] {{1, 0xFEFFC}, {17, 0xFEFFF}}).write()).lacks(HVM_PARAMS_DUPLICATE).clean();
  }
}
