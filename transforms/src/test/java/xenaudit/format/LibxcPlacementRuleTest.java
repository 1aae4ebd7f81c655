package xenaudit.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static xenaudit.format.FindingCode.*;
import static xenaudit.format.RuleImages.*;
import static xenaudit.format.Severity.ERROR;
import static xenaudit.format.Severity.INFO;
import static xenaudit.format.Severity.WARNING;
import static xenaudit.sample.StreamWriter.CHECKPOINT_END;
import static xenaudit.sample.StreamWriter.END;
import static xenaudit.sample.StreamWriter.HVM_CONTEXT;
import static xenaudit.sample.StreamWriter.HVM_PARAMS;
import static xenaudit.sample.StreamWriter.LIBXL_END;
import static xenaudit.sample.StreamWriter.SHARED_INFO;
import static xenaudit.sample.StreamWriter.STATIC_DATA_END;
import static xenaudit.sample.StreamWriter.VERIFY;
import static xenaudit.sample.StreamWriter.X86_CPUID_POLICY;
import static xenaudit.sample.StreamWriter.X86_MSR_POLICY;
import static xenaudit.sample.StreamWriter.X86_PV_INFO;
import static xenaudit.sample.StreamWriter.X86_PV_P2M_FRAMES;
import static xenaudit.sample.StreamWriter.X86_PV_VCPU_BASIC;
import static xenaudit.sample.StreamWriter.X86_PV_VCPU_EXTENDED;
import static xenaudit.sample.StreamWriter.X86_TSC_INFO;

import java.util.List;
import org.junit.jupiter.api.Test;
import xenaudit.sample.GuestImageWriter;
import xenaudit.sample.GuestSpec;
import xenaudit.sample.ImagePlan;
import xenaudit.sample.Mark;
import xenaudit.sample.StreamWriter;

/**
 * Where libxc records may stand: stream version, guest type, the static section and
 * STATIC_DATA_END, records that may appear once, dependencies between records, required records,
 * VERIFY, and Remus/COLO checkpointed streams with their libxl CHECKPOINT_END.
 */
class LibxcPlacementRuleTest {
  static final GuestSpec HVM = spec(GuestSpec.Kind.HVM);
  static final GuestSpec PV = spec(GuestSpec.Kind.PV);
  /** Xen 4.13 writes stream version 2. */
  static final GuestSpec HVM_V2 = HVM.withXen(4, 13);

  static final List<CpuidLeaf> CPUID = GuestImageWriter.cpuidPolicy(HVM);
  static final List<MsrEntry> MSR = GuestImageWriter.msrPolicy(HVM);

  // ------------------------------------------------------------------ version and guest type

  @Test
  void recordV3Only() {
    Image cpuid = plan(HVM_V2).beforeMemory(X86_CPUID_POLICY, w -> w.cpuidPolicy(CPUID)).write();
    check(cpuid).has(ERROR, RECORD_V3_ONLY, cpuid.mark("libxc:X86_CPUID_POLICY")).invalid();
    Image msr = plan(HVM_V2).beforeMemory(X86_MSR_POLICY, w -> w.msrPolicy(MSR)).write();
    check(msr).has(ERROR, RECORD_V3_ONLY, msr.mark("libxc:X86_MSR_POLICY")).invalid();
    Image sde = plan(HVM_V2).beforeMemory(STATIC_DATA_END, StreamWriter::staticDataEnd).write();
    check(sde).has(ERROR, RECORD_V3_ONLY, sde.mark("libxc:STATIC_DATA_END")).invalid();

    // The same records in a v3 stream (Xen 4.14, the first to write v3).
    check(plan(HVM.withXen(4, 14)).write()).lacks(RECORD_V3_ONLY).clean();
    check(plan(HVM_V2).write()).lacks(RECORD_V3_ONLY).clean();
  }

  @Test
  void recordWrongGuestType() {
    Image pvInfoInHvm = hvm().beforeLibxc(X86_CPUID_POLICY, X86_PV_INFO, w -> w.pvInfo(8, 4)).write();
    check(pvInfoInHvm).has(ERROR, RECORD_WRONG_GUEST_TYPE, pvInfoInHvm.mark("libxc:X86_PV_INFO")).invalid();
    Image vcpuInHvm = hvm().beforeLibxc(END, X86_PV_VCPU_EXTENDED,
        w -> w.pvVcpu(X86_PV_VCPU_EXTENDED, 0, new byte[0], 64)).write();
    check(vcpuInHvm).has(ERROR, RECORD_WRONG_GUEST_TYPE, vcpuInHvm.mark("libxc:X86_PV_VCPU_EXTENDED")).invalid();
    Image paramsInPv = pv().beforeLibxc(END, HVM_PARAMS, w -> w.hvmParams(GuestImageWriter.hvmParams(PV))).write();
    check(paramsInPv).has(ERROR, RECORD_WRONG_GUEST_TYPE, paramsInPv.mark("libxc:HVM_PARAMS")).invalid();
    // PVH is an HVM domain: its HVM records are at home.
    check(pvh().write()).lacks(RECORD_WRONG_GUEST_TYPE).clean();
    check(hvm().write()).lacks(RECORD_WRONG_GUEST_TYPE).clean();
    check(pv().write()).lacks(RECORD_WRONG_GUEST_TYPE).clean();
  }

  // ------------------------------------------------------------------ STATIC_DATA_END and the static records

  @Test
  void staticDataEndMissing() {
    // HVM: the first PAGE_DATA closes the static section.
    Image hvm = hvm().removeLibxc(STATIC_DATA_END).write();
    check(hvm).has(ERROR, STATIC_DATA_END_MISSING, hvm.mark("libxc:PAGE_DATA")).count(STATIC_DATA_END_MISSING, 1)
        .invalid();
    // PV: X86_PV_P2M_FRAMES does, before any page.
    Image pv = pv().removeLibxc(STATIC_DATA_END).write();
    check(pv).has(ERROR, STATIC_DATA_END_MISSING, pv.mark("libxc:X86_PV_P2M_FRAMES")).count(STATIC_DATA_END_MISSING, 1)
        .invalid();
    // No memory at all: missing by the end of the stream.
    Image empty = hvm().removeLibxc(STATIC_DATA_END).remove(ImagePlan.MEMORY, -1).write();
    check(empty).has(ERROR, STATIC_DATA_END_MISSING, empty.mark("libxc:END")).invalid();

    // v2 streams infer it.
    check(plan(HVM_V2).write()).lacks(STATIC_DATA_END_MISSING).clean();
    check(plan(PV.withXen(4, 13)).write()).lacks(STATIC_DATA_END_MISSING).clean();
    check(hvm().remove(ImagePlan.MEMORY, -1).write()).lacks(STATIC_DATA_END_MISSING).clean();
  }

  @Test
  void staticDataEndRepeated() {
    Image img = hvm().afterLibxc(STATIC_DATA_END, STATIC_DATA_END, StreamWriter::staticDataEnd).write();
    check(img).has(ERROR, STATIC_DATA_END_REPEATED, img.mark("libxc:STATIC_DATA_END", 1)).invalid();
    Image late = hvm().afterMemory(STATIC_DATA_END, StreamWriter::staticDataEnd).write();
    check(late).has(ERROR, STATIC_DATA_END_REPEATED, late.mark("libxc:STATIC_DATA_END", 1)).invalid();
    check(hvm().write()).lacks(STATIC_DATA_END_REPEATED).clean();
  }

  @Test
  void staticRecordLate() {
    Image cpuid = hvm().removeLibxc(X86_CPUID_POLICY)
        .afterLibxc(STATIC_DATA_END, X86_CPUID_POLICY, w -> w.cpuidPolicy(CPUID)).write();
    check(cpuid).has(ERROR, STATIC_RECORD_LATE, cpuid.mark("libxc:X86_CPUID_POLICY")).invalid();
    Image msr = hvm().removeLibxc(X86_MSR_POLICY).afterMemory(X86_MSR_POLICY, w -> w.msrPolicy(MSR)).write();
    check(msr).has(ERROR, STATIC_RECORD_LATE, msr.mark("libxc:X86_MSR_POLICY")).invalid();
    // X86_PV_INFO after STATIC_DATA_END, still before the P2M frames that need it.
    Image pvInfo = pv().removeLibxc(X86_PV_INFO).afterLibxc(STATIC_DATA_END, X86_PV_INFO, w -> w.pvInfo(8, 4)).write();
    check(pvInfo).has(ERROR, STATIC_RECORD_LATE, pvInfo.mark("libxc:X86_PV_INFO")).lacks(RECORD_OUT_OF_ORDER)
        .invalid();
    // v2: the first memory record closes the static section.
    Image v2 = plan(PV.withXen(4, 13)).removeLibxc(X86_PV_INFO)
        .afterLibxc(X86_PV_P2M_FRAMES, X86_PV_INFO, w -> w.pvInfo(8, 4)).write();
    check(v2).has(ERROR, STATIC_RECORD_LATE, v2.mark("libxc:X86_PV_INFO")).invalid(RECORD_OUT_OF_ORDER);

    check(hvm().write()).lacks(STATIC_RECORD_LATE).clean();
    check(pv().write()).lacks(STATIC_RECORD_LATE).clean();
  }

  // ------------------------------------------------------------------ once-only records

  @Test
  void duplicateRecord() {
    // Once per stream: the static records.
    Image cpuid = hvm().afterLibxc(X86_CPUID_POLICY, X86_CPUID_POLICY, w -> w.cpuidPolicy(CPUID)).write();
    check(cpuid).has(ERROR, DUPLICATE_RECORD, cpuid.mark("libxc:X86_CPUID_POLICY", 1)).count(DUPLICATE_RECORD, 1)
        .invalid();
    Image pvInfo = pv().afterLibxc(X86_PV_INFO, X86_PV_INFO, w -> w.pvInfo(8, 4)).write();
    check(pvInfo).has(ERROR, DUPLICATE_RECORD, pvInfo.mark("libxc:X86_PV_INFO", 1)).invalid();
    // Once per checkpoint: the end-of-checkpoint records.
    for (long type : new long[] {X86_TSC_INFO, HVM_CONTEXT, HVM_PARAMS}) {
      Image img = hvm().afterLibxc(HVM_PARAMS, type, w -> copyOf(w, type)).write();
      check(img).has(ERROR, DUPLICATE_RECORD, img.mark("libxc:" + StreamWriter.libxcName(type), 1)).invalid();
    }
    Image shared = pv().afterLibxc(SHARED_INFO, SHARED_INFO, w -> w.sharedInfo(new byte[0])).write();
    check(shared).has(ERROR, DUPLICATE_RECORD, shared.mark("libxc:SHARED_INFO", 1)).invalid();
    Image p2m = pv().afterLibxc(X86_PV_P2M_FRAMES, X86_PV_P2M_FRAMES, w -> w.p2mFrames(0, 511, new long[] {68}))
        .write();
    check(p2m).has(ERROR, DUPLICATE_RECORD, p2m.mark("libxc:X86_PV_P2M_FRAMES", 1)).invalid();
    // Once per vCPU and kind.
    Image basic = pv().afterLibxc(X86_PV_VCPU_BASIC, X86_PV_VCPU_BASIC,
        w -> w.pvVcpu(X86_PV_VCPU_BASIC, 0, new byte[0], 5168)).write();
    check(basic).has(ERROR, DUPLICATE_RECORD, basic.last("libxc:X86_PV_VCPU_BASIC")).invalid();

    check(hvm().write()).lacks(DUPLICATE_RECORD).clean();
    check(pv().write()).lacks(DUPLICATE_RECORD).clean();
    // Each checkpoint repeats TSC_INFO, HVM_CONTEXT and HVM_PARAMS: no duplicate.
    check(checkpointed(HVM, 2).write()).lacks(DUPLICATE_RECORD);
    check(checkpointed(PV, 2).write()).lacks(DUPLICATE_RECORD);
  }

  private static void copyOf(StreamWriter w, long type) throws java.io.IOException {
    if (type == X86_TSC_INFO) {
      w.tscInfo(0, 2_500_000, 1, 0);
    } else if (type == HVM_CONTEXT) {
      w.hvmContext(GuestImageWriter.hvmContext(HVM));
    } else {
      w.hvmParams(GuestImageWriter.hvmParams(HVM));
    }
  }

  // ------------------------------------------------------------------ dependencies and required records

  @Test
  void recordOutOfOrder() {
    // PV pages before the P2M frames.
    Image pages = pv().removeLibxc(X86_PV_P2M_FRAMES)
        .afterMemory(X86_PV_P2M_FRAMES, w -> w.p2mFrames(0, 511, new long[] {68})).write();
    check(pages).has(ERROR, RECORD_OUT_OF_ORDER, pages.mark("libxc:PAGE_DATA")).invalid();
    // P2M frames before X86_PV_INFO (which then also comes late).
    Image p2m = pv().removeLibxc(X86_PV_INFO).afterLibxc(X86_PV_P2M_FRAMES, X86_PV_INFO, w -> w.pvInfo(8, 4)).write();
    check(p2m)
        .has(ERROR, RECORD_OUT_OF_ORDER, p2m.mark("libxc:X86_PV_P2M_FRAMES"))
        .has(ERROR, STATIC_RECORD_LATE, p2m.mark("libxc:X86_PV_INFO"))
        .invalid();
    // SHARED_INFO in a stream that never had X86_PV_INFO.
    Image shared = pv().removeLibxc(X86_PV_INFO).write();
    check(shared)
        .has(ERROR, RECORD_OUT_OF_ORDER, shared.mark("libxc:SHARED_INFO"))
        .has(ERROR, RECORD_OUT_OF_ORDER, shared.mark("libxc:X86_PV_P2M_FRAMES"))
        .has(ERROR, RECORD_MISSING, shared.mark("libxc:END"))
        .invalid();

    check(pv().write()).lacks(RECORD_OUT_OF_ORDER).clean();
    // HVM_PARAMS before HVM_CONTEXT (the spec's and the legacy converter's order) is fine too.
    check(hvm().removeLibxc(HVM_PARAMS)
        .beforeLibxc(HVM_CONTEXT, HVM_PARAMS, w -> w.hvmParams(GuestImageWriter.hvmParams(HVM))).write())
        .lacks(RECORD_OUT_OF_ORDER).clean();
  }

  @Test
  void recordMissing() {
    Image noContext = hvm().removeLibxc(HVM_CONTEXT).write();
    check(noContext).has(ERROR, RECORD_MISSING, noContext.mark("libxc:END")).invalid();
    // vcpu 0 has no BASIC record (vcpu 1 has).
    Image noBasic = pv().removeLibxc(X86_PV_VCPU_BASIC).write();
    check(noBasic).has(ERROR, RECORD_MISSING, noBasic.mark("libxc:END")).invalid();
    // An empty BASIC record is skipped, so it does not count.
    Image emptyBasic = pv().replaceLibxc(X86_PV_VCPU_BASIC, w -> w.pvVcpu(X86_PV_VCPU_BASIC, 0, new byte[0])).write();
    check(emptyBasic)
        .has(INFO, EMPTY_RECORD, emptyBasic.mark("libxc:X86_PV_VCPU_BASIC"))
        .has(ERROR, RECORD_MISSING, emptyBasic.mark("libxc:END"))
        .invalid();

    check(hvm().write()).lacks(RECORD_MISSING).clean();
    check(pv().write()).lacks(RECORD_MISSING).clean();
    // HVM_PARAMS may be left out (all params zero).
    check(hvm().removeLibxc(HVM_PARAMS).write()).lacks(RECORD_MISSING).clean();
  }

  @Test
  void verifyRepeated() {
    // xl migrate --debug: VERIFY, then a second copy of memory.
    Plan once = hvm().afterMemory(VERIFY, StreamWriter::verify)
        .afterLibxc(VERIFY, StreamWriter.PAGE_DATA, w -> w.pageData(smallMemory(HVM)));
    check(once.write()).lacks(VERIFY_REPEATED).clean();

    Image twice = hvm().afterMemory(VERIFY, StreamWriter::verify).afterLibxc(VERIFY, VERIFY, StreamWriter::verify)
        .write();
    check(twice).has(ERROR, VERIFY_REPEATED, twice.mark("libxc:VERIFY", 1)).invalid();
  }

  // ------------------------------------------------------------------ Remus / COLO checkpointed streams

  @Test
  void checkpointedStream() {
    Image img = checkpointed(HVM, 2).write();
    Mark firstCheckpoint = img.mark("libxc:CHECKPOINT");
    // The capture stops inside the third checkpoint, after its memory.
    long stop = img.bytes().length;
    Check c = check(img)
        .has(INFO, CHECKPOINTED_STREAM, firstCheckpoint)
        .count(CHECKPOINTED_STREAM, 1)
        .has(WARNING, CHECKPOINT_INCOMPLETE, stop, img.records("libxc:"), "record_header", Layer.LIBXC)
        .lacks(TRUNCATED, CHECKPOINT_END_MISSING)
        .valid();
    assertEquals(2, c.r.checkpoints());
    // Stopping right after a CHECKPOINT_END is a clean stop.
    Image clean = img.cut(img.last("libxl:CHECKPOINT_END").end());
    check(clean).has(INFO, CHECKPOINTED_STREAM, firstCheckpoint).lacks(CHECKPOINT_INCOMPLETE, TRUNCATED).valid();
    Image pv = checkpointed(PV, 1).write();
    check(pv).has(INFO, CHECKPOINTED_STREAM, pv.mark("libxc:CHECKPOINT")).valid();

    check(hvm().write()).lacks(CHECKPOINTED_STREAM).clean();
  }

  @Test
  void checkpointIncomplete() {
    Image img = checkpointed(HVM, 2).write();
    // Stopped after the second CHECKPOINT, before its libxl records: the libxl layer was next.
    Mark second = img.mark("libxc:CHECKPOINT", 1);
    Mark emu = img.mark("libxl:EMULATOR_CONTEXT", 1);
    check(img.cut(second.end()))
        .has(WARNING, CHECKPOINT_INCOMPLETE, second.end(), img.indexOf(emu), "record_header", Layer.LIBXL)
        .lacks(TRUNCATED).valid();
    // Stopped inside a record header of the second checkpoint.
    Mark tsc = img.mark("libxc:X86_TSC_INFO", 1);
    check(img.cut(tsc.offset() + 5))
        .has(WARNING, CHECKPOINT_INCOMPLETE, tsc.offset(), img.indexOf(tsc), "record_header", Layer.LIBXC)
        .lacks(TRUNCATED).valid();
    // The first checkpoint never completed: nothing to fall back to.
    Mark first = img.mark("libxc:CHECKPOINT");
    check(img.cut(first.end()))
        .has(ERROR, TRUNCATED, first.end(), img.indexOf(img.mark("libxl:EMULATOR_CONTEXT")), "record_header",
            Layer.LIBXL)
        .lacks(CHECKPOINT_INCOMPLETE).invalid();

    check(img.cut(img.last("libxl:CHECKPOINT_END").end())).lacks(CHECKPOINT_INCOMPLETE).valid();
  }

  /** The stop is judged by where the input ends, not by where the cut record starts. */
  @Test
  void checkpointIncompleteInsideTheFirstRecordOfACheckpoint() {
    Image img = checkpointed(HVM, 2).write();
    Mark pages = img.last("libxc:PAGE_DATA");
    assertEquals(img.last("libxl:CHECKPOINT_END").end(), pages.offset());
    check(img.cut(pages.offset() + 5))
        .has(WARNING, CHECKPOINT_INCOMPLETE, pages.offset(), img.indexOf(pages), "record_header", Layer.LIBXC)
        .lacks(TRUNCATED).valid();
  }

  /** A Remus primary can die part-way through a record body; seekable or streamed, the same finding. */
  @Test
  void checkpointIncompleteInsideARecordBody() {
    Image img = checkpointed(HVM, 2).write();
    Mark ctx = img.mark("libxc:HVM_CONTEXT", 1);
    Image cut = img.cut(ctx.offset() + 100);
    for (ImageReport r : new ImageReport[] {cut.read(), cut.readStreaming()}) {
      check(cut, r)
          .has(WARNING, CHECKPOINT_INCOMPLETE, ctx.offset(), img.indexOf(ctx), "HVM_CONTEXT", Layer.LIBXC)
          .lacks(TRUNCATED).valid();
    }
  }

  @Test
  void checkpointEndUnexpected() {
    Image img = hvm().beforeLibxl(LIBXL_END, CHECKPOINT_END, StreamWriter::checkpointEnd).write();
    check(img).has(ERROR, CHECKPOINT_END_UNEXPECTED, img.mark("libxl:CHECKPOINT_END")).invalid();
    check(checkpointed(HVM, 1).write()).lacks(CHECKPOINT_END_UNEXPECTED).valid();
  }

  @Test
  void checkpointEndMissing() {
    // libxl END where the checkpoint's CHECKPOINT_END was due.
    Plan p = checkpointed(HVM, 1);
    p.plan.parts().subList(p.plan.require(ImagePlan.LIBXL, CHECKPOINT_END), p.plan.parts().size()).clear();
    Image img = p.append(StreamWriter::libxlEnd).write();
    check(img).has(ERROR, CHECKPOINT_END_MISSING, img.mark("libxl:END")).invalid();

    check(checkpointed(HVM, 1).write()).lacks(CHECKPOINT_END_MISSING).valid();
  }

  @Test
  void checkpointEndMissingBeforeTheNextCheckpoint() {
    // The next checkpoint's PAGE_DATA (type 1) comes where CHECKPOINT_END was due; today it is read as a
    // libxl LIBXC_CONTEXT of length 8224 (RECORD_LENGTH, LIBXC_CONTEXT_REPEATED, then TRUNCATED).
    Image img = checkpointed(HVM, 1).removeLibxl(CHECKPOINT_END).write();
    Check c = check(img).hasSomewhere(ERROR, CHECKPOINT_END_MISSING).lacks(LIBXC_CONTEXT_REPEATED);
    assertEquals(img.last("libxc:PAGE_DATA").offset(), c.first(CHECKPOINT_END_MISSING).offset());
  }
}
