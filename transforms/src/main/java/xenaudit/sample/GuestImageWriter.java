package xenaudit.sample;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import xenaudit.format.Container;
import xenaudit.format.CpuidLeaf;
import xenaudit.format.MsrEntry;
import xenaudit.sample.GuestSpec.Kind;

/**
 * Writes a realistic, valid save image for a {@link GuestSpec}: the container (xl header and JSON
 * config, libvirt header and XML, or a bare libxl / libxc stream) around a libxl stream around a
 * libxc stream whose records come in the order Xen's C saver writes them (format doc §5.1, §5.2).
 *
 * <p>Memory: HVM guests send every pfn 0..p2m_size-1 in PAGE_DATA batches of at most 1024, the
 * VGA hole (pfns 0xA0-0xBF, HVM only) and, for guests above 3.75 GiB, the MMIO hole 0xF0000-0xFFFFF
 * as XTAB; RAM above the hole continues at pfn 0x100000. PV guests send X86_PV_P2M_FRAMES, then
 * every pfn, a few of them page tables (the top level pinned). Page payload is always written as
 * holes, so the file is sparse: a 64 GiB guest costs about 128 MiB of pfn arrays on disk.
 */
public final class GuestImageWriter {
  public static final int MAX_BATCH = 1024;
  static final long VGA_HOLE_START = 0xA0;
  static final long VGA_HOLE_END = 0xC0;
  /** First pfn of the MMIO hole below 4 GiB (3.75 GiB) and the first pfn above it. */
  static final long MMIO_HOLE_START = 0xF0000;
  static final long MMIO_HOLE_END = 0x100000;
  /** QEMU's device-state file magic and version. */
  static final byte[] QEVM = {'Q', 'E', 'V', 'M', 0, 0, 0, 3};
  /** sizeof(vcpu_guest_context) by guest width (NOTES §2c). */
  static final int VCPU_CONTEXT_64 = 5168;
  static final int VCPU_CONTEXT_32 = 2800;
  static final int VCPU_EXTENDED_SIZE = 64;

  private static final ObjectMapper JSON = new ObjectMapper();

  private GuestImageWriter() {}

  // ------------------------------------------------------------------ whole images

  public static WrittenImage write(GuestSpec spec, ImageSink sink) throws IOException {
    return plan(spec).write(sink);
  }

  public static WrittenImage write(GuestSpec spec, Path file) throws IOException {
    return plan(spec).write(file);
  }

  /** The parts of a valid image for {@code spec}, in order. */
  public static ImagePlan plan(GuestSpec spec) {
    ImagePlan p = new ImagePlan();
    addContainer(p, spec);
    if (spec.container() != Container.LIBXC) {
      p.add(ImagePlan.part(ImagePlan.LIBXL_HEADER, w -> w.libxlHeader(0)));
      p.add(ImagePlan.libxl(StreamWriter.LIBXC_CONTEXT, StreamWriter::libxcContext));
    }
    addLibxcHeaders(p, spec);
    addStatic(p, spec);
    p.add(memoryPart(spec));
    addTail(p, spec);
    p.add(ImagePlan.libxc(StreamWriter.END, StreamWriter::libxcEnd));
    if (spec.container() != Container.LIBXC) {
      addEmulator(p, spec);
      p.add(ImagePlan.libxl(StreamWriter.LIBXL_END, StreamWriter::libxlEnd));
    }
    return p;
  }

  /**
   * A Remus checkpointed stream (§1.3): the static records, then {@code checkpoints} complete
   * checkpoints (memory, tail records, libxc CHECKPOINT, the libxl emulator records, CHECKPOINT_END),
   * then the memory records of one more checkpoint that never completes. The first checkpoint sends
   * all memory, later ones a few dirty batches. Not for bare libxc containers.
   */
  public static ImagePlan checkpointedPlan(GuestSpec spec, int checkpoints) {
    if (spec.container() == Container.LIBXC) {
      throw new IllegalArgumentException("a checkpointed stream needs libxl framing");
    }
    ImagePlan p = new ImagePlan();
    addContainer(p, spec);
    p.add(ImagePlan.part(ImagePlan.LIBXL_HEADER, w -> w.libxlHeader(0)));
    p.add(ImagePlan.libxl(StreamWriter.LIBXC_CONTEXT, StreamWriter::libxcContext));
    addLibxcHeaders(p, spec);
    addStatic(p, spec);
    Random r = new Random(spec.seed() ^ 0x5EED);
    for (int c = 0; c <= checkpoints; c++) {
      if (c == 0) {
        p.add(memoryPart(spec));
      } else {
        long[][] dirty = dirtyBatches(spec, r, 1 + r.nextInt(3));
        p.add(ImagePlan.part(ImagePlan.MEMORY, w -> {
          for (long[] b : dirty) {
            w.pageData(b);
          }
        }));
      }
      if (c == checkpoints) {
        break; // the primary dies here: no tail, no CHECKPOINT
      }
      addTail(p, spec);
      p.add(ImagePlan.libxc(StreamWriter.CHECKPOINT, StreamWriter::checkpoint));
      addEmulator(p, spec);
      p.add(ImagePlan.libxl(StreamWriter.CHECKPOINT_END, StreamWriter::checkpointEnd));
    }
    return p;
  }

  private static void addContainer(ImagePlan p, GuestSpec spec) {
    switch (spec.container()) {
      case XL -> p.add(ImagePlan.part(ImagePlan.XL, w -> w.xlSaveHeader(xlConfig(spec))));
      case LIBVIRT -> p.add(ImagePlan.part(ImagePlan.LIBVIRT, w -> w.libvirt(libvirtXml(spec))));
      case LIBXL, LIBXC -> { }
      default -> throw new IllegalArgumentException(spec.container().toString());
    }
  }

  private static void addLibxcHeaders(ImagePlan p, GuestSpec spec) {
    p.add(ImagePlan.part(ImagePlan.LIBXC_IMAGE_HEADER, w -> w.libxcImageHeader(spec.streamVersion())));
    long type = spec.hvm() ? StreamWriter.DOMAIN_X86_HVM : StreamWriter.DOMAIN_X86_PV;
    p.add(ImagePlan.part(ImagePlan.LIBXC_DOMAIN_HEADER,
        w -> w.domainHeader(type, spec.xenMajor(), spec.xenMinor())));
  }

  /** X86_PV_INFO (PV), then on v3 the policies and STATIC_DATA_END; PV adds X86_PV_P2M_FRAMES. */
  private static void addStatic(ImagePlan p, GuestSpec spec) {
    if (!spec.hvm()) {
      p.add(ImagePlan.libxc(StreamWriter.X86_PV_INFO, w -> w.pvInfo(spec.pvWidth(), spec.pvWidth() == 8 ? 4 : 3)));
    }
    if (spec.streamVersion() >= 3) {
      List<CpuidLeaf> cpuid = cpuidPolicy(spec);
      List<MsrEntry> msr = msrPolicy(spec);
      p.add(ImagePlan.libxc(StreamWriter.X86_CPUID_POLICY, w -> w.cpuidPolicy(cpuid)));
      p.add(ImagePlan.libxc(StreamWriter.X86_MSR_POLICY, w -> w.msrPolicy(msr)));
      p.add(ImagePlan.libxc(StreamWriter.STATIC_DATA_END, StreamWriter::staticDataEnd));
    }
    if (!spec.hvm()) {
      PvLayout l = PvLayout.of(spec);
      p.add(ImagePlan.libxc(StreamWriter.X86_PV_P2M_FRAMES, w -> w.p2mFrames(0, l.p2mSize - 1, l.p2mFrames())));
    }
  }

  /** The end-of-checkpoint records: TSC_INFO then HVM_CONTEXT, HVM_PARAMS (HVM) or SHARED_INFO and vCPUs (PV). */
  private static void addTail(ImagePlan p, GuestSpec spec) {
    Random r = new Random(spec.seed() * 31 + 7);
    long nsec = 1_000_000_000L * (3600 + r.nextInt(90 * 86400)) + r.nextInt(1_000_000_000);
    p.add(ImagePlan.libxc(StreamWriter.X86_TSC_INFO, w -> w.tscInfo(0, spec.cpu().tscKhz, nsec, 0)));
    if (spec.hvm()) {
      byte[] ctx = hvmContext(spec);
      long[][] params = hvmParams(spec);
      p.add(ImagePlan.libxc(StreamWriter.HVM_CONTEXT, w -> w.hvmContext(ctx)));
      p.add(ImagePlan.libxc(StreamWriter.HVM_PARAMS, w -> w.hvmParams(params)));
    } else {
      p.add(ImagePlan.libxc(StreamWriter.SHARED_INFO, w -> w.sharedInfo(new byte[0])));
      int context = spec.pvWidth() == 8 ? VCPU_CONTEXT_64 : VCPU_CONTEXT_32;
      long xcr0 = CpuidProfiles.xcr0(CpuidProfiles.guestFeatures(spec.cpu(), false, spec.variations()));
      int xsave = CpuidProfiles.xsaveSize(xcr0);
      for (int v = 0; v < spec.vcpus(); v++) {
        int id = v;
        p.add(ImagePlan.libxc(StreamWriter.X86_PV_VCPU_BASIC,
            w -> w.pvVcpu(StreamWriter.X86_PV_VCPU_BASIC, id, new byte[0], context)));
        p.add(ImagePlan.libxc(StreamWriter.X86_PV_VCPU_EXTENDED,
            w -> w.pvVcpu(StreamWriter.X86_PV_VCPU_EXTENDED, id, new byte[0], VCPU_EXTENDED_SIZE)));
        byte[] head = new Le(16).u64(xcr0).u64(xcr0).array();
        p.add(ImagePlan.libxc(StreamWriter.X86_PV_VCPU_XSAVE,
            w -> w.pvVcpu(StreamWriter.X86_PV_VCPU_XSAVE, id, head, xsave)));
        if (id == 0) {
          // MSR_SPEC_CTRL with SSBD set: the only MSR with a non-zero value, so the only one sent.
          byte[] msrs = new Le(16).u32(0x48).u32(0).u64(1L << 2).array();
          p.add(ImagePlan.libxc(StreamWriter.X86_PV_VCPU_MSRS,
              w -> w.pvVcpu(StreamWriter.X86_PV_VCPU_MSRS, id, msrs)));
        }
      }
    }
  }

  /** libxl writes emulator records for HVM guests only (not PV, not PVH). */
  private static void addEmulator(ImagePlan p, GuestSpec spec) {
    if (spec.kind() != Kind.HVM) {
      return;
    }
    if (spec.emulatorPhysmap()) {
      List<String> xs = xenstorePhysmap();
      p.add(ImagePlan.libxl(StreamWriter.EMULATOR_XENSTORE_DATA,
          w -> w.emulatorXenstoreData(StreamWriter.EMULATOR_QEMU_UPSTREAM, 0, xs)));
    }
    long state = qemuStateBytes(spec);
    p.add(ImagePlan.libxl(StreamWriter.EMULATOR_CONTEXT,
        w -> w.emulatorContext(StreamWriter.EMULATOR_QEMU_UPSTREAM, 0, QEVM, state)));
  }

  /** The physmap triplet QEMU leaves for the VGA VRAM (relative to device-model/&lt;domid&gt;/). */
  public static List<String> xenstorePhysmap() {
    return List.of(
        "physmap/f0000000/start_addr", "f0000000",
        "physmap/f0000000/size", "800000",
        "physmap/f0000000/name", "vga.vram");
  }

  /** Size of QEMU's device state after its 8-byte magic+version: never a multiple of 8. */
  static long qemuStateBytes(GuestSpec spec) {
    long n = 36_000 + 1_200L * spec.vcpus() + Math.floorMod(spec.seed() * 7919, 4_000);
    return n % 8 == 0 ? n + 3 : n;
  }

  // ------------------------------------------------------------------ memory

  /** pfns the stream covers: HVM max gpfn + 1; PV the P2M size. */
  public static long p2mSize(GuestSpec spec) {
    long pages = spec.memoryPages();
    if (spec.hvm() && pages > MMIO_HOLE_START) {
      return MMIO_HOLE_END + (pages - MMIO_HOLE_START);
    }
    return pages;
  }

  /** Data-carrying pages the stream sends (RAM pfns). */
  public static long dataPages(GuestSpec spec) {
    long pages = spec.memoryPages();
    return spec.kind() == Kind.HVM ? pages - (VGA_HOLE_END - VGA_HOLE_START) : pages;
  }

  /** The PAGE_DATA records of one full memory pass. */
  public static ImagePlan.Part memoryPart(GuestSpec spec) {
    return ImagePlan.part(ImagePlan.MEMORY, w -> writeMemory(w, spec));
  }

  /** Writes every pfn 0..p2m_size-1 in batches of {@link #MAX_BATCH}. */
  public static void writeMemory(StreamWriter w, GuestSpec spec) throws IOException {
    long p2m = p2mSize(spec);
    PvLayout pv = spec.hvm() ? null : PvLayout.of(spec);
    boolean big = p2m > 64 * MAX_BATCH;
    if (big) {
      w.marking(false); // keep marks for small images only; big ones would hold one per batch
    }
    long[] full = new long[MAX_BATCH];
    for (long start = 0; start < p2m; start += MAX_BATCH) {
      int n = (int) Math.min(MAX_BATCH, p2m - start);
      long[] e = n == MAX_BATCH ? full : new long[n];
      for (int i = 0; i < n; i++) {
        long pfn = start + i;
        e[i] = StreamWriter.pfnEntry(pfn, pv != null ? pv.type(pfn) : hvmType(spec, pfn));
      }
      w.pageData(e);
    }
    if (big) {
      w.marking(true);
    }
  }

  static int hvmType(GuestSpec spec, long pfn) {
    if (spec.kind() == Kind.HVM && pfn >= VGA_HOLE_START && pfn < VGA_HOLE_END) {
      return StreamWriter.PAGE_XTAB;
    }
    if (spec.memoryPages() > MMIO_HOLE_START && pfn >= MMIO_HOLE_START && pfn < MMIO_HOLE_END) {
      return StreamWriter.PAGE_XTAB;
    }
    return StreamWriter.PAGE_NOTAB;
  }

  /** A few batches of dirty RAM pfns (for later checkpoints and live-migration rounds). */
  static long[][] dirtyBatches(GuestSpec spec, Random r, int batches) {
    long[][] out = new long[batches][];
    long ramTop = Math.min(spec.memoryPages(), MMIO_HOLE_START);
    PvLayout pv = spec.hvm() ? null : PvLayout.of(spec);
    for (int b = 0; b < batches; b++) {
      int n = 1 + r.nextInt(MAX_BATCH);
      java.util.TreeSet<Long> pfns = new java.util.TreeSet<>();
      while (pfns.size() < Math.min(n, ramTop - 0x100)) {
        long pfn = 0x100 + (long) (r.nextDouble() * (ramTop - 0x100));
        pfns.add(pfn);
      }
      long[] e = new long[pfns.size()];
      int i = 0;
      for (long pfn : pfns) {
        e[i++] = StreamWriter.pfnEntry(pfn, pv != null ? pv.type(pfn) : hvmType(spec, pfn));
      }
      out[b] = e;
    }
    return out;
  }

  /** Where a PV guest's page tables and P2M frames sit. */
  static final class PvLayout {
    final long p2mSize;
    final int width;
    final long tablesStart;
    /** Type nibble of pfn tablesStart + i, for the page tables. */
    final byte[] tables;
    final long framesStart;
    final long frames;

    private PvLayout(GuestSpec spec) {
      p2mSize = spec.memoryPages();
      width = spec.pvWidth();
      long l1 = (p2mSize + 511) / 512;
      long l2 = (l1 + 511) / 512;
      // Right after an 8 MiB kernel, or an eighth into RAM for tiny guests.
      tablesStart = Math.min(0x800, p2mSize / 8);
      long l3 = width == 8 ? (l2 + 511) / 512 : 0;
      if (width == 4) {
        l2 = 4; // PAE: one pinned L3 with four L2 tables
      }
      tables = new byte[(int) (1 + l3 + l2 + l1)];
      int t = 0;
      tables[t++] = (byte) (width == 8 ? StreamWriter.PAGE_L4TAB | StreamWriter.PAGE_PINNED
          : StreamWriter.PAGE_L3TAB | StreamWriter.PAGE_PINNED);
      for (long i = 0; i < l3; i++) {
        tables[t++] = StreamWriter.PAGE_L3TAB;
      }
      for (long i = 0; i < l2; i++) {
        tables[t++] = StreamWriter.PAGE_L2TAB;
      }
      for (long i = 0; i < l1; i++) {
        tables[t++] = StreamWriter.PAGE_L1TAB;
      }
      framesStart = tablesStart + tables.length;
      frames = StreamWriter.p2mFrameCount(0, p2mSize - 1, width);
      if (framesStart + frames > p2mSize) {
        throw new IllegalArgumentException("PV guest too small for its page tables and P2M: " + p2mSize + " pages");
      }
    }

    static PvLayout of(GuestSpec spec) {
      return new PvLayout(spec);
    }

    int type(long pfn) {
      long i = pfn - tablesStart;
      return i >= 0 && i < tables.length ? tables[(int) i] : StreamWriter.PAGE_NOTAB;
    }

    long[] p2mFrames() {
      long[] f = new long[(int) frames];
      for (int i = 0; i < f.length; i++) {
        f[i] = framesStart + i;
      }
      return f;
    }
  }

  // ------------------------------------------------------------------ record contents

  /** The CPUID policy a v3 stream carries (empty for v2). */
  public static List<CpuidLeaf> cpuidPolicy(GuestSpec spec) {
    if (spec.streamVersion() < 3) {
      return List.of();
    }
    return CpuidProfiles.cpuid(spec.cpu(), spec.hvm(), spec.xenMajor(), spec.xenMinor(), spec.vcpus(),
        spec.variations());
  }

  /** The MSR policy a v3 stream carries (empty for v2). */
  public static List<MsrEntry> msrPolicy(GuestSpec spec) {
    if (spec.streamVersion() < 3) {
      return List.of();
    }
    return CpuidProfiles.msr(spec.cpu(), spec.xenMajor(), spec.xenMinor(), spec.variations());
  }

  /** HVM_CONTEXT: HEADER, the per-domain and per-vCPU save records in typecode order, END. */
  public static byte[] hvmContext(GuestSpec spec) {
    HvmContextBuilder b = new HvmContextBuilder();
    long changeset = 0x5A000000L + Math.floorMod(spec.seed(), 0xFFFFFF);
    b.header(changeset, spec.cpu().signature(), spec.cpu().tscKhz);
    int n = spec.vcpus();
    boolean emulated = spec.kind() == Kind.HVM;
    for (int v = 0; v < n; v++) {
      b.add(HvmContextBuilder.CPU, v, HvmContextBuilder.SIZE_CPU);
    }
    if (emulated) {
      b.add(HvmContextBuilder.PIC, 0, HvmContextBuilder.SIZE_PIC);
      b.add(HvmContextBuilder.PIC, 1, HvmContextBuilder.SIZE_PIC);
      b.add(HvmContextBuilder.IOAPIC, 0, HvmContextBuilder.SIZE_IOAPIC);
    }
    for (int v = 0; v < n; v++) {
      b.add(HvmContextBuilder.LAPIC, v, HvmContextBuilder.SIZE_LAPIC);
    }
    for (int v = 0; v < n; v++) {
      b.add(HvmContextBuilder.LAPIC_REGS, v, HvmContextBuilder.SIZE_LAPIC_REGS);
    }
    if (emulated) {
      b.add(HvmContextBuilder.PCI_IRQ, 0, HvmContextBuilder.SIZE_PCI_IRQ);
      b.add(HvmContextBuilder.ISA_IRQ, 0, HvmContextBuilder.SIZE_ISA_IRQ);
      b.add(HvmContextBuilder.PCI_LINK, 0, HvmContextBuilder.SIZE_PCI_LINK);
      b.add(HvmContextBuilder.PIT, 0, HvmContextBuilder.SIZE_PIT);
      b.add(HvmContextBuilder.RTC, 0, HvmContextBuilder.SIZE_RTC);
      b.add(HvmContextBuilder.HPET, 0, HvmContextBuilder.SIZE_HPET);
      b.add(HvmContextBuilder.PMTIMER, 0, HvmContextBuilder.SIZE_PMTIMER);
    }
    for (int v = 0; v < n; v++) {
      b.add(HvmContextBuilder.MTRR, v, HvmContextBuilder.SIZE_MTRR);
    }
    long xcr0 = CpuidProfiles.xcr0(CpuidProfiles.guestFeatures(spec.cpu(), true, spec.variations()));
    for (int v = 0; v < n; v++) {
      b.cpuXsave(v, xcr0, xcr0, CpuidProfiles.xsaveSize(xcr0));
    }
    for (int v = 0; v < n; v++) {
      b.add(HvmContextBuilder.VMCE_VCPU, v, HvmContextBuilder.SIZE_VMCE_VCPU);
    }
    for (int v = 0; v < n; v++) {
      b.add(HvmContextBuilder.TSC_ADJUST, v, HvmContextBuilder.SIZE_TSC_ADJUST);
    }
    for (int v = 0; v < n; v++) {
      b.cpuMsr(v, new long[][] {{0xC0000103L, v}}); // TSC_AUX = vCPU id
    }
    return b.end().toBytes();
  }

  /** HVM_PARAMS: the non-zero params among those the saver sends (special pages below 4 GiB). */
  public static long[][] hvmParams(GuestSpec spec) {
    List<long[]> p = new ArrayList<>();
    p.add(new long[] {1, 0xFEFFC}); // STORE_PFN
    if (spec.kind() == Kind.HVM) {
      p.add(new long[] {5, 0xFEFFD}); // IOREQ_PFN
      p.add(new long[] {6, 0xFEFFB}); // BUFIOREQ_PFN
      p.add(new long[] {12, 0xFEFFE000L}); // IDENT_PT
    }
    p.add(new long[] {17, 0xFEFFF}); // CONSOLE_PFN
    if (spec.kind() == Kind.HVM) {
      p.add(new long[] {19, 1}); // ACPI_IOPORTS_LOCATION
    }
    p.add(new long[] {27, 0xFEFF8}); // PAGING_RING_PFN
    p.add(new long[] {28, 0xFEFF9}); // MONITOR_RING_PFN
    p.add(new long[] {29, 0xFEFFA}); // SHARING_RING_PFN
    if (spec.kind() == Kind.HVM) {
      p.add(new long[] {32, 0xFEFF0}); // IOREQ_SERVER_PFN
      p.add(new long[] {33, 8}); // NR_IOREQ_SERVER_PAGES
    }
    return p.toArray(new long[0][]);
  }

  // ------------------------------------------------------------------ configs

  /** Whether Xen's libxl writes its JSON with json-c (4.21+) rather than yajl. */
  static boolean jsonC(GuestSpec spec) {
    return CpuidProfiles.atLeast(spec.xenMajor(), spec.xenMinor(), 4, 21);
  }

  /** The xl JSON config ({@code libxl_domain_config}) with its trailing NUL, as xl stores it. */
  public static byte[] xlConfig(GuestSpec spec) {
    return (xlConfigText(spec) + "\0").getBytes(StandardCharsets.UTF_8);
  }

  /** The xl JSON config without the NUL. */
  public static String xlConfigText(GuestSpec spec) {
    ObjectNode root = JSON.createObjectNode();
    ObjectNode c = root.putObject("c_info");
    c.put("type", spec.kind().label());
    if (spec.hvm()) {
      c.put("hap", "True");
    }
    c.put("name", spec.name());
    c.put("uuid", spec.uuid());
    c.put("run_hotplug_scripts", "True");
    ObjectNode b = root.putObject("b_info");
    b.put("max_vcpus", spec.vcpus());
    ArrayNode avail = b.putArray("avail_vcpus");
    for (int i = 0; i < spec.vcpus(); i++) {
      avail.add(i);
    }
    long kb = spec.memoryBytes() / 1024;
    b.put("max_memkb", kb);
    b.put("target_memkb", kb);
    if (spec.kind() == Kind.HVM) {
      b.put("video_memkb", 8192);
    }
    b.put("shadow_memkb", Math.max(1024, spec.vcpus() * 256 + kb / 256));
    if (spec.kind() == Kind.HVM) {
      b.put("device_model_version", "qemu_xen");
    }
    b.putObject("sched_params");
    b.put("claim_mode", "True");
    addCpuidConfig(b, spec);
    switch (spec.kind()) {
      case HVM -> {
        ObjectNode h = b.putObject("type.hvm");
        h.put("acpi", "True");
        h.putObject("vga").put("kind", "std");
        ObjectNode vnc = h.putObject("vnc");
        vnc.put("enable", "True");
        vnc.put("listen", "127.0.0.1");
        h.put("serial", "pty");
        h.put("boot", "c");
      }
      case PV -> {
        ObjectNode h = b.putObject("type.pv");
        h.put("kernel", "/var/lib/xen/boot/" + spec.name() + "/vmlinuz");
        h.put("cmdline", "root=/dev/xvda1 ro console=hvc0");
        h.put("ramdisk", "/var/lib/xen/boot/" + spec.name() + "/initrd.img");
      }
      case PVH -> {
        ObjectNode h = b.putObject("type.pvh");
        h.put("kernel", "/var/lib/xen/boot/" + spec.name() + "/vmlinuz");
        h.put("cmdline", "root=/dev/xvda1 ro console=hvc0");
      }
      default -> throw new IllegalStateException();
    }
    b.putObject("arch_arm");
    ArrayNode disks = root.putArray("disks");
    ObjectNode d = disks.addObject();
    d.put("pdev_path", "/dev/vg0/" + spec.name());
    d.put("vdev", "xvda");
    d.put("backend", "phy");
    d.put("format", "raw");
    d.put("readwrite", 1);
    ArrayNode nics = root.putArray("nics");
    ObjectNode n = nics.addObject();
    n.put("devid", 0);
    n.put("mac", mac(spec));
    n.put("bridge", "xenbr0");
    n.put("script", "/etc/xen/scripts/vif-bridge");
    n.put("nictype", spec.kind() == Kind.HVM ? "vif_ioemu" : "vif");
    root.put("on_reboot", "restart");
    root.put("on_soft_reset", "soft_reset");
    try {
      return prettyPrint(root, jsonC(spec));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** b_info.cpuid: absent without tweaks; an array up to Xen 4.17; {"cpuid":[...],"msr":[...]} from 4.18. */
  private static void addCpuidConfig(ObjectNode b, GuestSpec spec) {
    Map<long[], Map<String, String>> tweaks = CpuidProfiles.cpuidTweaks(spec.variations());
    boolean newForm = CpuidProfiles.atLeast(spec.xenMajor(), spec.xenMinor(), 4, 18);
    Map<Long, String> msrs = newForm ? CpuidProfiles.msrTweaks(spec.cpu(), spec.variations()) : Map.of();
    if (tweaks.isEmpty() && msrs.isEmpty()) {
      return;
    }
    boolean signed = jsonC(spec);
    ArrayNode leaves = JSON.createArrayNode();
    for (Map.Entry<long[], Map<String, String>> e : tweaks.entrySet()) {
      ObjectNode l = leaves.addObject();
      long leaf = e.getKey()[0];
      long sub = e.getKey()[1];
      if (signed) {
        l.put("leaf", (int) leaf); // json-c writes int32: 0x80000001 comes out negative
      } else {
        l.put("leaf", leaf);
      }
      if (sub != 0xFFFFFFFFL) {
        l.put("subleaf", sub);
      }
      e.getValue().forEach(l::put);
    }
    if (!newForm) {
      b.set("cpuid", leaves);
      return;
    }
    ObjectNode both = b.putObject("cpuid");
    both.set("cpuid", leaves);
    ArrayNode m = both.putArray("msr");
    msrs.forEach((index, policy) -> {
      ObjectNode o = m.addObject();
      o.put("index", index);
      o.put("policy", policy);
    });
  }

  /** yajl's beautified output (4 spaces, "key": value) or json-c's pretty one (2 spaces, "key":value, "\/"). */
  static String prettyPrint(JsonNode root, boolean jsonC) throws JsonProcessingException {
    StringBuilder out = new StringBuilder();
    pretty(out, root, jsonC ? "  " : "    ", jsonC ? ":" : ": ", 0);
    String s = out.toString();
    return jsonC ? s.replace("/", "\\/") : s;
  }

  private static void pretty(StringBuilder out, JsonNode n, String indent, String colon, int depth)
      throws JsonProcessingException {
    if (n.isObject() || n.isArray()) {
      if (n.isEmpty()) {
        out.append(n.isObject() ? "{}" : "[]");
        return;
      }
      out.append(n.isObject() ? "{\n" : "[\n");
      Iterator<Map.Entry<String, JsonNode>> fields = n.isObject() ? n.fields() : null;
      Iterator<JsonNode> items = n.isArray() ? n.elements() : null;
      boolean first = true;
      while (fields != null ? fields.hasNext() : items.hasNext()) {
        if (!first) {
          out.append(",\n");
        }
        first = false;
        out.append(indent.repeat(depth + 1));
        JsonNode v;
        if (fields != null) {
          Map.Entry<String, JsonNode> e = fields.next();
          out.append(JSON.writeValueAsString(e.getKey())).append(colon);
          v = e.getValue();
        } else {
          v = items.next();
        }
        pretty(out, v, indent, colon, depth + 1);
      }
      out.append('\n').append(indent.repeat(depth)).append(n.isObject() ? '}' : ']');
    } else {
      out.append(JSON.writeValueAsString(n));
    }
  }

  static String mac(GuestSpec spec) {
    Random r = new Random(spec.seed() ^ 0xC0FFEEL);
    return String.format("00:16:3e:%02x:%02x:%02x", r.nextInt(128), r.nextInt(256), r.nextInt(256));
  }

  /** The domain XML libvirt's libxl driver stores in its save image header. */
  public static String libvirtXml(GuestSpec spec) {
    long kb = spec.memoryBytes() / 1024;
    String os = switch (spec.kind()) {
      case HVM -> "    <type arch='x86_64' machine='xenfv'>hvm</type>\n"
          + "    <loader type='rom'>/usr/lib/xen/boot/hvmloader</loader>\n"
          + "    <boot dev='hd'/>\n";
      case PV -> "    <type arch='x86_64' machine='xenpv'>linux</type>\n"
          + "    <kernel>/var/lib/xen/boot/" + spec.name() + "/vmlinuz</kernel>\n"
          + "    <cmdline>root=/dev/xvda1 ro console=hvc0</cmdline>\n";
      case PVH -> "    <type arch='x86_64' machine='xenpvh'>xenpvh</type>\n"
          + "    <kernel>/var/lib/xen/boot/" + spec.name() + "/vmlinuz</kernel>\n"
          + "    <cmdline>root=/dev/xvda1 ro console=hvc0</cmdline>\n";
    };
    return "<domain type='xen'>\n"
        + "  <name>" + spec.name() + "</name>\n"
        + "  <uuid>" + spec.uuid() + "</uuid>\n"
        + "  <memory unit='KiB'>" + kb + "</memory>\n"
        + "  <currentMemory unit='KiB'>" + kb + "</currentMemory>\n"
        + "  <vcpu placement='static'>" + spec.vcpus() + "</vcpu>\n"
        + "  <os>\n" + os + "  </os>\n"
        + (spec.kind() == Kind.HVM ? "  <features>\n    <acpi/>\n    <apic/>\n    <pae/>\n  </features>\n" : "")
        + "  <clock offset='utc' adjustment='reset'/>\n"
        + "  <on_poweroff>destroy</on_poweroff>\n"
        + "  <on_reboot>restart</on_reboot>\n"
        + "  <on_crash>destroy</on_crash>\n"
        + "  <devices>\n"
        + "    <disk type='block' device='disk'>\n"
        + "      <driver name='phy' type='raw'/>\n"
        + "      <source dev='/dev/vg0/" + spec.name() + "'/>\n"
        + "      <target dev='xvda' bus='xen'/>\n"
        + "    </disk>\n"
        + "    <interface type='bridge'>\n"
        + "      <mac address='" + mac(spec) + "'/>\n"
        + "      <source bridge='xenbr0'/>\n"
        + "      <script path='vif-bridge'/>\n"
        + "    </interface>\n"
        + "    <console type='pty'>\n"
        + "      <target type='xen' port='0'/>\n"
        + "    </console>\n"
        + "  </devices>\n"
        + "</domain>\n";
  }
}
