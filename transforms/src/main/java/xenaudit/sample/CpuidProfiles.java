package xenaudit.sample;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import xenaudit.format.CpuFeature;
import xenaudit.format.CpuidLeaf;
import xenaudit.format.MsrEntry;

/**
 * Intel-like and AMD-like guest CPUID and MSR policies as Xen serialises them into {@code
 * X86_CPUID_POLICY} / {@code X86_MSR_POLICY} (format doc §3.4, §3.5).
 *
 * <p>A guest policy is the host model's features filtered by Xen's default attributes (from {@code
 * cpufeatureset.tsv}: upper-case {@code A} for every guest, {@code S}/{@code H} for HVM ones), with
 * HYPERVISOR set, then the per-guest {@link Variation}s applied (with Xen's dependency: AVX512F off
 * removes every AVX-512 feature and the AVX-512 xstate components). Leaves are emitted in Xen's
 * order: basic 0..0xD with the subleaves of leaves 4, 7, 0xB and 0xD, the hypervisor leaves
 * 0x40000000 and 0x40000100, then the extended leaves up to the (clamped) max.
 */
public final class CpuidProfiles {
  /** The host CPU a guest policy is derived from. */
  public enum Model {
    INTEL_CASCADE_LAKE(true, 0x00050657, "Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz", 0, 0x80000008L, 2_095_078),
    INTEL_SAPPHIRE_RAPIDS(true, 0x000806F8, "Intel(R) Xeon(R) Gold 6430", 2, 0x80000008L, 2_100_000),
    AMD_ROME(false, 0x00830F10, "AMD EPYC 7402P 24-Core Processor", 0, 0x8000001FL, 2_799_999),
    AMD_MILAN(false, 0x00A00F11, "AMD EPYC 7313 16-Core Processor", 0, 0x80000023L, 2_999_997),
    // The models below are drawn only by security-mix fleets (SampleFleet --security-mix).
    /** SKYLAKE_X stepping 4. */
    INTEL_SKYLAKE_SP(true, 0x00050654, "Intel(R) Xeon(R) Gold 6148 CPU @ 2.40GHz", 0, 0x80000008L, 2_394_000),
    /** ICELAKE_X stepping 6. */
    INTEL_ICE_LAKE_SP(true, 0x000606A6, "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz", 0, 0x80000008L, 2_000_000),
    /** Zen 1, family 0x17 model 0x01. */
    AMD_NAPLES(false, 0x00800F12, "AMD EPYC 7601 32-Core Processor", 0, 0x8000001FL, 2_199_999),
    /** Zen 4, family 0x19 model 0x11. */
    AMD_GENOA(false, 0x00A10F11, "AMD EPYC 9654 96-Core Processor", 1, 0x80000026L, 2_399_999);

    /** The models a default fleet draws from (earlier seeds keep their fleets). */
    public static final List<Model> DEFAULT_INTEL = List.of(INTEL_CASCADE_LAKE, INTEL_SAPPHIRE_RAPIDS);
    public static final List<Model> DEFAULT_AMD = List.of(AMD_ROME, AMD_MILAN);
    /** Security-mix fleets: Skylake, Cascade Lake, Ice Lake, Sapphire Rapids; Zen 1, 2, 3, 4. */
    public static final List<Model> ALL_INTEL =
        List.of(INTEL_SKYLAKE_SP, INTEL_CASCADE_LAKE, INTEL_ICE_LAKE_SP, INTEL_SAPPHIRE_RAPIDS);
    public static final List<Model> ALL_AMD = List.of(AMD_NAPLES, AMD_ROME, AMD_MILAN, AMD_GENOA);

    final boolean intel;
    final int signature;
    final String brand;
    final int maxLeaf7Subleaf;
    final long maxExtendedLeaf;
    /** TSC frequency in kHz (for TSC_INFO and the HVM_CONTEXT header). */
    public final long tscKhz;

    Model(boolean intel, int signature, String brand, int maxLeaf7Subleaf, long maxExtendedLeaf, long tscKhz) {
      this.intel = intel;
      this.signature = signature;
      this.brand = brand;
      this.maxLeaf7Subleaf = maxLeaf7Subleaf;
      this.maxExtendedLeaf = maxExtendedLeaf;
      this.tscKhz = tscKhz;
    }

    public boolean intel() {
      return intel;
    }

    /** CPUID.1.EAX (family/model/stepping). */
    public int signature() {
      return signature;
    }
  }

  /** Per-guest departures from the default policy. */
  public enum Variation {
    /** MD_CLEAR (leaf 7:0 edx bit 10) hidden: the guest cannot use VERW to flush buffers. */
    MD_CLEAR_MISSING,
    /** RTM (leaf 7:0 ebx bit 11) exposed; hidden by default (TSX is off on Xen's defaults). */
    RTM_EXPOSED,
    /** AVX512F masked, which takes every AVX-512 feature and the AVX-512 xstate with it. */
    AVX512_MASKED,
    /** PAGE1GB (leaf 0x80000001 edx bit 26) masked. */
    PAGE1GB_MASKED,
    /** PLATFORM_INFO bit 31: CPUID faulting offered. */
    CPUID_FAULTING,
    /** ARCH_CAPABILITIES bit 62 (ITS_NO) set. Xen 4.15+ Intel guests. */
    ITS_NO,
    /** ARCH_CAPABILITIES TAA_NO (bit 8) clear, for a guest that also has RTM exposed. */
    TAA_NO_MISSING,
    /**
     * The config forces HLE on ({@code cpuid="host,hle=1"}) but the policy lacks it: the request is
     * stored with the image, its effect is not (the host's Xen hides TSX). xl JSON configs only.
     */
    HLE_REQUEST_IGNORED,
    // Below: drawn only by security-mix fleets, each with its own chance (default fleets unchanged).
    /** Intel ARCH_CAPS GDS_NO (bit 26). */
    GDS_NO,
    /** Intel ARCH_CAPS RFDS_NO (bit 27). */
    RFDS_NO,
    /** Intel ARCH_CAPS RFDS_CLEAR (bit 28): VERW clears the register file. */
    RFDS_CLEAR,
    /** Intel ARCH_CAPS BHI_NO (bit 20). */
    BHI_NO,
    /** Intel ARCH_CAPS PBRSB_NO (bit 24). */
    PBRSB_NO,
    /** Intel ARCH_CAPS SBDR_SSDP_NO, FBSDP_NO and PSDP_NO (bits 13-15): immune to MMIO stale data. */
    MMIO_NO,
    /** Intel ARCH_CAPS FB_CLEAR (bit 17): VERW clears the fill buffers. */
    FB_CLEAR,
    /** AMD SRSO_NO (0x80000021 eax bit 29). */
    SRSO_NO,
    /** AMD SRSO_US_NO (0x80000021 eax bit 30). */
    SRSO_US_NO,
    /** AMD IBPB_BRTYPE (0x80000021 eax bit 28): IBPB flushes branch types. */
    IBPB_BRTYPE,
    /** AMD TSA_SQ_NO and TSA_L1_NO (0x80000021 ecx bits 1, 2). */
    TSA_NO,
    /** AMD VERW_CLEAR (0x80000021 eax bit 5). */
    VERW_CLEAR,
    /** AMD BTC_NO (0x80000008 ebx bit 29). */
    BTC_NO;

    /** Drawn only in security-mix fleets. */
    public static final Set<Variation> SECURITY = EnumSet.range(GDS_NO, BTC_NO);
    static final Set<Variation> INTEL_ONLY = EnumSet.of(RTM_EXPOSED, ITS_NO, TAA_NO_MISSING, AVX512_MASKED,
        MD_CLEAR_MISSING, GDS_NO, RFDS_NO, RFDS_CLEAR, BHI_NO, PBRSB_NO, MMIO_NO, FB_CLEAR);
    static final Set<Variation> AMD_ONLY = EnumSet.of(SRSO_NO, SRSO_US_NO, IBPB_BRTYPE, TSA_NO, VERW_CLEAR, BTC_NO);
  }

  /** The CPUID features each AMD security variation adds. */
  private static final Map<Variation, List<String>> AMD_VARIATION_FEATURES = Map.of(
      Variation.SRSO_NO, List.of("SRSO_NO"),
      Variation.SRSO_US_NO, List.of("SRSO_US_NO"),
      Variation.IBPB_BRTYPE, List.of("IBPB_BRTYPE"),
      Variation.TSA_NO, List.of("TSA_SQ_NO", "TSA_L1_NO"),
      Variation.VERW_CLEAR, List.of("VERW_CLEAR"),
      Variation.BTC_NO, List.of("BTC_NO"));

  /** The ARCH_CAPS bits each Intel security variation adds. */
  private static final Map<Variation, List<String>> INTEL_VARIATION_ARCH_CAPS = Map.of(
      Variation.GDS_NO, List.of("GDS_NO"),
      Variation.RFDS_NO, List.of("RFDS_NO"),
      Variation.RFDS_CLEAR, List.of("RFDS_CLEAR"),
      Variation.BHI_NO, List.of("BHI_NO"),
      Variation.PBRSB_NO, List.of("PBRSB_NO"),
      Variation.MMIO_NO, List.of("SBDR_SSDP_NO", "FBSDP_NO", "PSDP_NO"),
      Variation.FB_CLEAR, List.of("FB_CLEAR"));

  private static final Map<String, CpuFeature> BY_NAME = new HashMap<>();

  static {
    for (CpuFeature f : CpuFeature.all()) {
      BY_NAME.put(f.name(), f);
    }
  }

  private static final List<String> INTEL_BASE = List.of(
      // leaf 1 edx
      "FPU", "VME", "DE", "PSE", "TSC", "MSR", "PAE", "MCE", "CX8", "APIC", "SEP", "MTRR", "PGE", "MCA", "CMOV",
      "PAT", "PSE36", "CLFLUSH", "DS", "ACPI", "MMX", "FXSR", "SSE", "SSE2", "SS", "HTT", "TM1", "PBE",
      // leaf 1 ecx
      "SSE3", "PCLMULQDQ", "DTES64", "MONITOR", "DSCPL", "VMX", "SMX", "EIST", "TM2", "SSSE3", "SDBG", "FMA",
      "CX16", "XTPR", "PDCM", "PCID", "DCA", "SSE4_1", "SSE4_2", "X2APIC", "MOVBE", "POPCNT", "TSC_DEADLINE",
      "AESNI", "XSAVE", "AVX", "F16C", "RDRAND",
      // leaf 7:0
      "FSGSBASE", "TSC_ADJUST", "BMI1", "HLE", "AVX2", "FDP_EXCP_ONLY", "SMEP", "BMI2", "ERMS", "INVPCID", "RTM",
      "PQM", "NO_FPU_SEL", "MPX", "PQE", "AVX512F", "AVX512DQ", "RDSEED", "ADX", "SMAP", "CLFLUSHOPT", "CLWB",
      "PROC_TRACE", "AVX512CD", "AVX512BW", "AVX512VL", "PKU", "AVX512_VNNI", "MD_CLEAR", "IBRSB", "STIBP",
      "L1D_FLUSH", "SSBD",
      // 0xD:1
      "XSAVEOPT", "XSAVEC", "XGETBV1", "XSAVES",
      // 0x80000001
      "LAHF_LM", "ABM", "3DNOWPREFETCH", "SYSCALL", "NX", "PAGE1GB", "RDTSCP", "LM",
      // 0x80000007
      "ITSC");

  private static final List<String> SAPPHIRE_RAPIDS_EXTRA = List.of(
      "AVX512_IFMA", "SHA", "AVX512_VBMI", "UMIP", "WAITPKG", "AVX512_VBMI2", "GFNI", "VAES", "VPCLMULQDQ",
      "AVX512_BITALG", "AVX512_VPOPCNTDQ", "LA57", "RDPID", "CLDEMOTE", "MOVDIRI", "MOVDIR64B", "FSRM",
      "SERIALIZE", "TSXLDTRK", "AVX512_FP16", "AVX_VNNI", "AVX512_BF16", "FZRM", "FSRS", "FSRCS", "INTEL_PSFD",
      "IPRED_CTRL", "RRSBA_CTRL", "BHI_CTRL", "WBNOINVD");

  private static final List<String> AMD_BASE = List.of(
      "FPU", "VME", "DE", "PSE", "TSC", "MSR", "PAE", "MCE", "CX8", "APIC", "SEP", "MTRR", "PGE", "MCA", "CMOV",
      "PAT", "PSE36", "CLFLUSH", "MMX", "FXSR", "SSE", "SSE2", "HTT",
      "SSE3", "PCLMULQDQ", "MONITOR", "SSSE3", "FMA", "CX16", "SSE4_1", "SSE4_2", "MOVBE", "POPCNT", "AESNI",
      "XSAVE", "AVX", "F16C", "RDRAND",
      "FSGSBASE", "BMI1", "AVX2", "SMEP", "BMI2", "RDSEED", "ADX", "SMAP", "CLFLUSHOPT", "CLWB", "SHA", "UMIP",
      "RDPID",
      "XSAVEOPT", "XSAVEC", "XGETBV1", "XSAVES",
      "LAHF_LM", "CMP_LEGACY", "SVM", "EXTAPIC", "CR8_LEGACY", "ABM", "SSE4A", "MISALIGNSSE", "3DNOWPREFETCH",
      "OSVW", "IBS", "SKINIT", "WDT", "TOPOEXT", "MONITORX",
      "SYSCALL", "NX", "MMXEXT", "FFXSR", "PAGE1GB", "RDTSCP", "LM",
      "ITSC",
      "CLZERO", "RSTR_FP_ERR_PTRS", "WBNOINVD", "IBPB", "AMD_STIBP", "AMD_SSBD", "STIBP_ALWAYS", "IBRS");

  private static final List<String> ICE_LAKE_EXTRA = List.of(
      "AVX512_IFMA", "SHA", "AVX512_VBMI", "UMIP", "AVX512_VBMI2", "GFNI", "VAES", "VPCLMULQDQ",
      "AVX512_BITALG", "AVX512_VPOPCNTDQ", "LA57", "RDPID", "FSRM", "WBNOINVD");

  /** Zen 1 lacks these of AMD_BASE (Zen 2's). */
  private static final List<String> NAPLES_MISSING = List.of("CLWB", "WBNOINVD", "RDPID", "UMIP");

  private static final List<String> GENOA_EXTRA = List.of(
      "AVX512F", "AVX512DQ", "AVX512_IFMA", "AVX512CD", "AVX512BW", "AVX512VL", "AVX512_VBMI", "AVX512_VBMI2",
      "GFNI", "AVX512_VNNI", "AVX512_BITALG", "AVX512_VPOPCNTDQ", "AVX512_BF16", "LA57", "AUTO_IBRS");

  private static final List<String> MILAN_EXTRA = List.of(
      "PCID", "INVPCID", "PKU", "VAES", "VPCLMULQDQ", "FSRM", "NO_NEST_BP", "LFENCE_DISPATCH", "NSCB");

  /** Features Xen passes through although their attribute has no default letter. */
  private static final Set<String> PASS_THROUGH = Set.of("FDP_EXCP_ONLY", "NO_FPU_SEL");

  /** Every AVX-512 feature: what masking AVX512F takes away. */
  private static final List<String> AVX512_FAMILY = List.of(
      "AVX512F", "AVX512DQ", "AVX512_IFMA", "AVX512PF", "AVX512ER", "AVX512CD", "AVX512BW", "AVX512VL",
      "AVX512_VBMI", "AVX512_VBMI2", "AVX512_VNNI", "AVX512_BITALG", "AVX512_VPOPCNTDQ", "AVX512_4VNNIW",
      "AVX512_4FMAPS", "AVX512_VP2INTERSECT", "AVX512_FP16", "AVX512_BF16");

  /** ARCH_CAPABILITIES of the Intel models as Xen offers them to guests. */
  private static final List<String> INTEL_ARCH_CAPS = List.of(
      "RDCL_NO", "EIBRS", "SKIP_L1DFL", "MDS_NO", "IF_PSCHANGE_MC_NO", "TSX_CTRL", "TAA_NO");
  private static final List<String> SAPPHIRE_RAPIDS_ARCH_CAPS = List.of(
      "SBDR_SSDP_NO", "FBSDP_NO", "PSDP_NO", "PBRSB_NO", "GDS_NO", "RFDS_NO");
  /** Skylake has no ARCH_CAPS of its own: Xen's virtual MSR says RSBA (retpolines unsafe) only. */
  private static final List<String> SKYLAKE_ARCH_CAPS = List.of("RSBA");
  private static final List<String> ICE_LAKE_ARCH_CAPS = List.of("FB_CLEAR");

  /** XSAVE components: {size, offset} in the standard format; index = component number. */
  private static final int[][] XSTATE = {
      {160, 0}, {256, 160}, {256, 576}, {64, 960}, {64, 1024}, {64, 1088}, {512, 1152}, {1024, 1664},
      {0, 0}, {8, 2688}};

  private static final long XCR0_X87 = 1, XCR0_SSE = 2, XCR0_AVX = 4, XCR0_AVX512 = 0xE0, XCR0_PKRU = 0x200;

  private CpuidProfiles() {}

  /** The feature named {@code name} in cpufeatureset.tsv. */
  public static CpuFeature feature(String name) {
    CpuFeature f = BY_NAME.get(name);
    if (f == null) {
      throw new IllegalArgumentException("no CPU feature " + name + " in cpufeatureset.tsv");
    }
    return f;
  }

  /** The guest-visible feature names of a model for a guest type, variations applied. */
  public static Set<String> guestFeatures(Model m, boolean hvm, Set<Variation> v) {
    List<String> host = new ArrayList<>(m.intel ? INTEL_BASE : AMD_BASE);
    switch (m) {
      case INTEL_SAPPHIRE_RAPIDS -> host.addAll(SAPPHIRE_RAPIDS_EXTRA);
      case INTEL_ICE_LAKE_SP -> host.addAll(ICE_LAKE_EXTRA);
      case INTEL_SKYLAKE_SP -> host.remove("AVX512_VNNI");
      case AMD_MILAN -> host.addAll(MILAN_EXTRA);
      case AMD_GENOA -> {
        host.addAll(MILAN_EXTRA);
        host.addAll(GENOA_EXTRA);
      }
      case AMD_NAPLES -> host.removeAll(NAPLES_MISSING);
      default -> { }
    }
    if (!m.intel) {
      for (Variation x : v) {
        host.addAll(AMD_VARIATION_FEATURES.getOrDefault(x, List.of()));
      }
    }
    Set<String> out = new java.util.TreeSet<>();
    for (String name : host) {
      String attrs = feature(name).attributes();
      boolean dflt = attrs.indexOf('A') >= 0 || hvm && (attrs.indexOf('S') >= 0 || attrs.indexOf('H') >= 0);
      if (dflt || PASS_THROUGH.contains(name)) {
        out.add(name);
      }
    }
    out.add("HYPERVISOR");
    out.remove("RTM"); // TSX is hidden from guests unless asked for
    if (v.contains(Variation.RTM_EXPOSED) && m.intel) {
      out.add("RTM");
    }
    if (v.contains(Variation.MD_CLEAR_MISSING)) {
      out.remove("MD_CLEAR");
    }
    if (v.contains(Variation.AVX512_MASKED)) {
      AVX512_FAMILY.forEach(out::remove);
    }
    if (v.contains(Variation.PAGE1GB_MASKED)) {
      out.remove("PAGE1GB");
    }
    return out;
  }

  /** Whether the policy offers MSR_ARCH_CAPABILITIES (Intel, and Xen serialises it: 4.15+). */
  static boolean archCapsOffered(Model m, int xenMajor, int xenMinor) {
    return m.intel && atLeast(xenMajor, xenMinor, 4, 15);
  }

  /**
   * The X86_CPUID_POLICY leaves Xen {@code xenMajor.xenMinor} (4.14+) serialises for this guest.
   */
  public static List<CpuidLeaf> cpuid(Model m, boolean hvm, int xenMajor, int xenMinor, int vcpus,
      Set<Variation> v) {
    Set<String> features = guestFeatures(m, hvm, v);
    if (archCapsOffered(m, xenMajor, xenMinor)) {
      features.add("ARCH_CAPS");
    }
    Map<Long, int[]> regs = new TreeMap<>(); // key: leaf << 32 | subleaf
    int leaf7Max = Math.min(m.maxLeaf7Subleaf, atLeast(xenMajor, xenMinor, 4, 17) ? 2 : 1);
    long extLimit = atLeast(xenMajor, xenMinor, 4, 16) ? 0x21 : 0x1C;
    long extMax = 0x80000000L | Math.min(m.maxExtendedLeaf & 0xFFFF, extLimit);
    // Xen raises the max extended leaf when it offers a bit of 0x80000021 the host's range lacks.
    if (extLimit >= 0x21 && features.stream().anyMatch(n -> feature(n).leafOrMsr() == 0x80000021L)) {
      extMax = Math.max(extMax, 0x80000021L);
    }

    // Which leaves exist, in Xen's order.
    List<long[]> order = new ArrayList<>();
    for (long leaf = 0; leaf <= 0xD; leaf++) {
      if (leaf == 4) {
        int n = m.intel ? 5 : 1; // up to and including the first null cache descriptor
        for (int s = 0; s < n; s++) {
          order.add(new long[] {leaf, s});
        }
      } else if (leaf == 7) {
        for (int s = 0; s <= leaf7Max; s++) {
          order.add(new long[] {leaf, s});
        }
      } else if (leaf == 0xB) {
        int n = m.intel ? 2 : 1; // stops after the first level of type 0
        for (int s = 0; s < n; s++) {
          order.add(new long[] {leaf, s});
        }
      } else if (leaf == 0xD) {
        int top = 63 - Long.numberOfLeadingZeros(xcr0(features));
        for (int s = 0; s <= Math.max(1, top); s++) {
          order.add(new long[] {leaf, s});
        }
      } else {
        order.add(new long[] {leaf, NO});
      }
    }
    order.add(new long[] {0x40000000L, NO});
    order.add(new long[] {0x40000100L, NO});
    for (long leaf = 0x80000000L; leaf <= extMax; leaf++) {
      order.add(new long[] {leaf, NO});
    }
    for (long[] o : order) {
      regs.put(key(o[0], o[1]), new int[4]);
    }

    // Feature bits.
    for (String name : features) {
      CpuFeature f = feature(name);
      int[] r = regs.get(key(f.leafOrMsr(), Integer.toUnsignedLong(f.subleaf())));
      if (r != null) {
        r[reg(f.register())] |= 1 << f.bit();
      }
    }

    // Everything else.
    long xcr0 = xcr0(features);
    set(regs, 0, NO, 0xD, vendor(m, 0), vendor(m, 1), vendor(m, 2));
    int[] l1 = regs.get(key(1, NO));
    l1[0] = m.signature;
    l1[1] = (Math.min(255, 2 * vcpus) << 16) | (8 << 8);
    if (m.intel) {
      set(regs, 2, NO, 0x00FEFF01, 0x000000F0, 0, 0);
      int cores = Math.max(0, Math.min(63, vcpus - 1));
      set(regs, 4, 0, 0x00000121 | cores << 26, 0x02C0003F, 0x0000003F, 0);
      set(regs, 4, 1, 0x00000122 | cores << 26, 0x01C0003F, 0x0000003F, 0);
      set(regs, 4, 2, 0x00000143 | cores << 26, 0x03C0003F, 0x000003FF, 0);
      set(regs, 4, 3, 0x00000163 | cores << 26, 0x0280003F, 0x0000B7FF, 0x00000004);
      set(regs, 0xB, 0, 1, 2, 0x100, 0);
      set(regs, 0xB, 1, 8, Math.min(0xFFFF, 2 * vcpus), 0x201, 0);
    }
    regs.get(key(7, 0))[0] = leaf7Max;
    int size = xsaveSize(xcr0);
    int[] d0 = regs.get(key(0xD, 0));
    d0[0] = (int) xcr0;
    d0[1] = size;
    d0[2] = size;
    for (int c = 2; c < XSTATE.length; c++) {
      int[] r = regs.get(key(0xD, c));
      if (r != null && (xcr0 & (1L << c)) != 0) {
        r[0] = XSTATE[c][0];
        r[1] = XSTATE[c][1];
      }
    }
    int[] e0 = regs.get(key(0x80000000L, NO));
    e0[0] = (int) extMax;
    if (!m.intel) {
      e0[1] = vendor(m, 0);
      e0[2] = vendor(m, 1);
      e0[3] = vendor(m, 2);
    }
    int[] e1 = regs.get(key(0x80000001L, NO));
    if (!m.intel) {
      e1[0] = m.signature;
      e1[3] |= l1[3] & COMMON_1D; // AMD mirrors these leaf 1 edx bits
    }
    byte[] brand = new byte[48];
    byte[] bb = m.brand.getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(bb, 0, brand, 0, Math.min(47, bb.length));
    for (int i = 0; i < 3; i++) {
      int[] r = regs.get(key(0x80000002L + i, NO));
      for (int j = 0; j < 4; j++) {
        int off = i * 16 + j * 4;
        r[j] = (brand[off] & 0xFF) | (brand[off + 1] & 0xFF) << 8 | (brand[off + 2] & 0xFF) << 16
            | (brand[off + 3] & 0xFF) << 24;
      }
    }
    if (m.intel) {
      set(regs, 0x80000006L, NO, 0, 0, 0x04008040, 0);
      regs.get(key(0x80000008L, NO))[0] = 0x0000302E;
    } else {
      set(regs, 0x80000005L, NO, 0xFF40FF40, 0xFF40FF40, 0x20080140, 0x20080140);
      set(regs, 0x80000006L, NO, 0x26006400, 0x66006400, 0x02006140, 0x00809140);
      int[] e8 = regs.get(key(0x80000008L, NO));
      e8[0] = 0x00003030;
      e8[2] = Math.min(255, 2 * vcpus - 1);
      int[] e19 = regs.get(key(0x80000019L, NO));
      if (e19 != null) {
        e19[0] = 0xF040F040;
      }
      int[] e1e = regs.get(key(0x8000001EL, NO));
      if (e1e != null) {
        e1e[1] = 0x00000100;
      }
    }

    List<CpuidLeaf> out = new ArrayList<>(order.size());
    for (long[] o : order) {
      int[] r = regs.get(key(o[0], o[1]));
      out.add(new CpuidLeaf((int) o[0], (int) o[1], r[0], r[1], r[2], r[3]));
    }
    return out;
  }

  /** Bits of leaf 1 edx that AMD repeats in leaf 0x80000001 edx. */
  private static final int COMMON_1D = 0x0183F3FF;

  /**
   * The X86_MSR_POLICY Xen {@code xenMajor.xenMinor} serialises: PLATFORM_INFO only on 4.14,
   * PLATFORM_INFO and ARCH_CAPABILITIES on 4.15+.
   */
  public static List<MsrEntry> msr(Model m, int xenMajor, int xenMinor, Set<Variation> v) {
    List<MsrEntry> out = new ArrayList<>(2);
    out.add(new MsrEntry(MsrEntry.PLATFORM_INFO, 0, v.contains(Variation.CPUID_FAULTING) ? 1L << 31 : 0));
    if (atLeast(xenMajor, xenMinor, 4, 15)) {
      out.add(new MsrEntry(MsrEntry.ARCH_CAPABILITIES, 0, archCaps(m, v)));
    }
    return out;
  }

  /** ARCH_CAPABILITIES value offered to the guest (0 on AMD). */
  public static long archCaps(Model m, Set<Variation> v) {
    if (!m.intel) {
      return 0;
    }
    long value = 0;
    List<String> bits = new ArrayList<>(INTEL_ARCH_CAPS);
    if (m == Model.INTEL_SAPPHIRE_RAPIDS) {
      bits.addAll(SAPPHIRE_RAPIDS_ARCH_CAPS);
    } else if (m == Model.INTEL_SKYLAKE_SP) {
      bits = new ArrayList<>(SKYLAKE_ARCH_CAPS);
    } else if (m == Model.INTEL_ICE_LAKE_SP) {
      bits.addAll(ICE_LAKE_ARCH_CAPS);
    }
    for (Variation x : v) {
      for (String b : INTEL_VARIATION_ARCH_CAPS.getOrDefault(x, List.of())) {
        if (!bits.contains(b)) {
          bits.add(b);
        }
      }
    }
    if (v.contains(Variation.ITS_NO)) {
      bits.add("ITS_NO");
    }
    if (v.contains(Variation.TAA_NO_MISSING)) {
      bits.remove("TAA_NO");
    }
    for (String b : bits) {
      value |= 1L << feature(b).msrBit();
    }
    return value;
  }

  /**
   * The {@code b_info.cpuid} tweaks xl would store for these variations: per (leaf, subleaf), a
   * 32-char policy string per register ('x' default, '0'/'1' forced; character j is bit 31-j).
   */
  public static Map<long[], Map<String, String>> cpuidTweaks(Set<Variation> v) {
    Map<String, long[]> keys = new LinkedHashMap<>();
    Map<long[], Map<String, String>> out = new LinkedHashMap<>();
    List<String[]> forced = new ArrayList<>(); // {feature, value}
    if (v.contains(Variation.AVX512_MASKED)) {
      forced.add(new String[] {"AVX512F", "0"});
    }
    if (v.contains(Variation.RTM_EXPOSED)) {
      forced.add(new String[] {"RTM", "1"});
    }
    if (v.contains(Variation.MD_CLEAR_MISSING)) {
      forced.add(new String[] {"MD_CLEAR", "0"});
    }
    if (v.contains(Variation.PAGE1GB_MASKED)) {
      forced.add(new String[] {"PAGE1GB", "0"});
    }
    if (v.contains(Variation.HLE_REQUEST_IGNORED)) {
      forced.add(new String[] {"HLE", "1"});
    }
    for (String[] fv : forced) {
      CpuFeature f = feature(fv[0]);
      String k = f.leafOrMsr() + "/" + f.subleaf();
      long[] key = keys.computeIfAbsent(k, x -> new long[] {f.leafOrMsr(), Integer.toUnsignedLong(f.subleaf())});
      Map<String, String> regsOf = out.computeIfAbsent(key, x -> new LinkedHashMap<>());
      String cur = regsOf.getOrDefault(f.register(), "x".repeat(32));
      char[] c = cur.toCharArray();
      c[31 - f.bit()] = fv[1].charAt(0);
      regsOf.put(f.register(), new String(c));
    }
    // Registers in the order libxl writes them.
    for (Map.Entry<long[], Map<String, String>> e : out.entrySet()) {
      Map<String, String> sorted = new LinkedHashMap<>();
      for (String r : List.of("eax", "ebx", "ecx", "edx")) {
        if (e.getValue().containsKey(r)) {
          sorted.put(r, e.getValue().get(r));
        }
      }
      e.setValue(sorted);
    }
    return out;
  }

  /** The MSR tweaks (index → 64-char policy, character i is bit 63-i) for the new config form. */
  public static Map<Long, String> msrTweaks(Model m, Set<Variation> v) {
    Map<Long, String> out = new LinkedHashMap<>();
    if (!m.intel) {
      return out;
    }
    char[] c = "x".repeat(64).toCharArray();
    boolean any = false;
    if (v.contains(Variation.TAA_NO_MISSING)) {
      c[63 - feature("TAA_NO").msrBit()] = '0';
      any = true;
    }
    if (v.contains(Variation.ITS_NO)) {
      c[63 - feature("ITS_NO").msrBit()] = '1';
      any = true;
    }
    if (any) {
      out.put((long) MsrEntry.ARCH_CAPABILITIES, new String(c));
    }
    return out;
  }

  /** The variations that make sense for a model (Intel-only ones dropped on AMD). */
  public static Set<Variation> applicable(Model m, Set<Variation> v) {
    EnumSet<Variation> out = v.isEmpty() ? EnumSet.noneOf(Variation.class) : EnumSet.copyOf(v);
    out.removeAll(m.intel ? Variation.AMD_ONLY : Variation.INTEL_ONLY);
    if (!out.contains(Variation.RTM_EXPOSED)) {
      out.remove(Variation.TAA_NO_MISSING);
    }
    return out;
  }

  static long xcr0(Set<String> features) {
    long x = XCR0_X87 | XCR0_SSE;
    if (features.contains("AVX")) {
      x |= XCR0_AVX;
    }
    if (features.contains("AVX512F")) {
      x |= XCR0_AVX512;
    }
    if (features.contains("PKU")) {
      x |= XCR0_PKRU;
    }
    return x;
  }

  static int xsaveSize(long xcr0) {
    int size = 512 + 64; // legacy area + XSAVE header
    for (int c = 2; c < XSTATE.length; c++) {
      if ((xcr0 & (1L << c)) != 0) {
        size = Math.max(size, XSTATE[c][0] + XSTATE[c][1]);
      }
    }
    return size;
  }

  /** Xen version at least major.minor. */
  static boolean atLeast(int major, int minor, int wantMajor, int wantMinor) {
    return major > wantMajor || major == wantMajor && minor >= wantMinor;
  }

  private static final long NO = 0xFFFFFFFFL;

  private static long key(long leaf, long subleaf) {
    return leaf << 32 | (subleaf & 0xFFFFFFFFL);
  }

  private static int reg(String name) {
    switch (name) {
      case "eax":
        return 0;
      case "ebx":
        return 1;
      case "ecx":
        return 2;
      case "edx":
        return 3;
      default:
        throw new IllegalArgumentException("register " + name);
    }
  }

  private static void set(Map<Long, int[]> regs, long leaf, long subleaf, int a, int b, int c, int d) {
    int[] r = regs.get(key(leaf, subleaf));
    if (r == null) {
      throw new IllegalStateException(String.format("leaf %x:%x not in the policy", leaf, subleaf));
    }
    r[0] = a;
    r[1] |= b;
    r[2] |= c;
    r[3] |= d;
  }

  /** The vendor string of leaf 0 as its three registers in ebx, ecx, edx order (i = 0, 1, 2). */
  private static int vendor(Model m, int i) {
    String s = m.intel ? "GenuineIntel" : "AuthenticAMD";
    int[] regOrder = {0, 8, 4}; // ebx = chars 0-3, ecx = chars 8-11, edx = chars 4-7
    byte[] b = s.getBytes(StandardCharsets.US_ASCII);
    int o = regOrder[i];
    return (b[o] & 0xFF) | (b[o + 1] & 0xFF) << 8 | (b[o + 2] & 0xFF) << 16 | (b[o + 3] & 0xFF) << 24;
  }
}
