package xenaudit.policy;

import java.util.List;

/**
 * One rule per {@link SecurityIssue}: a verdict from what the guest's kernel sees ({@link
 * CpuPolicy#seen}), not from what the host may do behind its back.
 *
 * <p>Unknowns ({@link RuleContext}): a rule reads bits in the order written; a bit the policy
 * leaves undecided gives UNKNOWN only when the verdict depends on it (both values are tried). A
 * missing vendor (no leaf 0) or signature (no leaf 1), when the rule needs it, gives UNKNOWN; so
 * does a policy without CPUID leaves, for every rule.
 *
 * <p>Model tables follow Linux's {@code cpu_vuln_blacklist} (arch/x86/kernel/cpu/common.c, as of
 * the ITS changes of May 2025). Linux takes the first row that matches, so a row's stepping range
 * here starts after the steppings an earlier Linux row claims. Model numbers are those of
 * arch/x86/include/asm/intel-family.h.
 */
public final class SecurityRules {
  private SecurityRules() {}

  /** The rule for {@code issue}. */
  public static Assessment assess(SecurityIssue issue, GuestSecurity g) {
    return switch (issue) {
      case MDS -> mds(g);
      case TAA -> taa(g);
      case SSB -> ssb(g);
      case SPECTRE_V2 -> spectreV2(g);
      case SRBDS -> srbds(g);
      case GDS -> gds(g);
      case RFDS -> rfds(g);
      case ITS -> its(g);
    };
  }

  /*
   * MDS, XSA-297, CVE-2018-12126/12127/12130, CVE-2019-11091. Intel only; MDS_NO (ARCH_CAPS bit
   * 5) says the buffers do not leak; otherwise MD_CLEAR (7:0 edx bit 10) gives VERW its flushing
   * side effect, which Linux (bugs.c mds_select_mitigation) and Xen use. Linux also exempts some
   * Atoms through cpu_vuln_whitelist NO_MDS; this rule deliberately does not.
   * Unknowns: MDS_NO null -> UNKNOWN (NOT_AFFECTED if set, never if clear); MD_CLEAR null after
   * MDS_NO clear -> UNKNOWN.
   */
  public static Assessment mds(GuestSecurity g) {
    return RuleContext.decide(g, c -> {
      if (c.vendor() != Vendor.INTEL) {
        return c.notAffected("MDS affects Intel CPUs only");
      }
      if (c.on("mds_no")) {
        return c.notAffected("the CPU's buffers do not leak");
      }
      if (c.on("md_clear")) {
        return c.mitigation("VERW flushes the buffers");
      }
      return c.exposed("nothing flushes the buffers");
    });
  }

  /*
   * TAA, XSA-305, CVE-2019-11135. Intel only, and only with TSX: no RTM and no HLE visible means
   * no transaction to abort (Xen hides both by default since the TSX microcode; Linux common.c
   * sets X86_BUG_TAA only with RTM or TSX_CTRL). TAA_NO (ARCH_CAPS bit 8) says aborts do not
   * leak; otherwise the MDS VERW flush (MD_CLEAR) is the mitigation.
   * Unknowns: RTM or HLE null -> tried both ways, so TAA_NO set still gives NOT_AFFECTED; TAA_NO
   * or MD_CLEAR null when they decide -> UNKNOWN.
   */
  public static Assessment taa(GuestSecurity g) {
    return RuleContext.decide(g, c -> {
      if (c.vendor() != Vendor.INTEL) {
        return c.notAffected("TAA affects Intel CPUs only");
      }
      if (!c.on("rtm") && !c.on("hle")) {
        return c.notAffected("no TSX, no transaction to abort");
      }
      if (c.on("taa_no")) {
        return c.notAffected("TSX aborts do not leak");
      }
      if (c.on("md_clear")) {
        return c.mitigation("VERW flushes the buffers TSX aborts leak from");
      }
      return c.exposed("nothing flushes the buffers TSX aborts leak from");
    });
  }

  /*
   * SSB (Spectre v4), XSA-263, CVE-2018-3639. Any vendor; INTEL_SSB_NO (ARCH_CAPS bit 4) or AMD's
   * SSB_NO (0x80000008 ebx bit 26) says loads do not bypass older stores (Linux common.c,
   * NO_SSB/ARCH_CAP_SSB_NO/AMD_SSB_NO). Otherwise the guest can turn store bypass off through
   * SSBD (SPEC_CTRL bit 2, 7:0 edx bit 31), AMD_SSBD (0x80000008 ebx bit 24) or VIRT_SSBD
   * (VIRT_SPEC_CTRL, 0x80000008 ebx bit 25, which Xen emulates for guests).
   * Unknowns: an unknown *_NO bit matters only if the other is clear; an unknown SSBD bit only if
   * no other SSBD bit is set.
   */
  public static Assessment ssb(GuestSecurity g) {
    return RuleContext.decide(g, c -> {
      c.vendor();
      if (c.on("intel_ssb_no") || c.on("ssb_no")) {
        return c.notAffected("loads do not speculatively bypass older stores");
      }
      if (c.on("ssbd") || c.on("amd_ssbd") || c.on("virt_ssbd")) {
        return c.mitigation("the guest can disable store bypass (SSBD)");
      }
      return c.exposed("no SSBD control visible to the guest");
    });
  }

  /** Linux cpu_vuln_whitelist NO_SPECULATION, family 6: the in-order Atoms. */
  static final List<IntelPart> IN_ORDER_ATOMS = List.of(
      IntelPart.of("ATOM_BONNELL", 0x1C),
      IntelPart.of("ATOM_BONNELL_MID", 0x26),
      IntelPart.of("ATOM_SALTWELL_MID", 0x27),
      IntelPart.of("ATOM_SALTWELL_TABLET", 0x35),
      IntelPart.of("ATOM_SALTWELL", 0x36));

  /*
   * Spectre v2 (branch target injection), XSA-254, CVE-2017-5715. Every out-of-order x86 CPU is
   * affected: Linux common.c sets X86_BUG_SPECTRE_V2 unless cpu_vuln_whitelist says
   * NO_SPECULATION, i.e. family 4, non-AMD family 5, and the in-order Atoms (IN_ORDER_ATOMS).
   * Mitigation available when the guest sees a hardware control its kernel builds on (bugs.c
   * spectre_v2_select_mitigation, Xen spec_ctrl.c): IBRSB (Intel SPEC_CTRL/PRED_CMD, 7:0 edx bit
   * 26), AMD's IBRS or IBPB (0x80000008 ebx bits 14, 12), AUTO_IBRS (0x80000021 eax bit 8) or
   * EIBRS (ARCH_CAPS bit 1). Retpolines need no bit, but without IBPB nothing separates contexts.
   * BHI (BHI_NO/BHI_CTRL) is a separate issue and not judged here.
   * Unknowns: an unknown control matters only if no other control is set.
   */
  public static Assessment spectreV2(GuestSecurity g) {
    return RuleContext.decide(g, c -> {
      Vendor v = c.vendor();
      long family = c.family();
      if (family == 4 || family == 5 && v != Vendor.AMD) {
        c.note("family " + family);
        return c.notAffected("no speculative indirect branches (Linux NO_SPECULATION)");
      }
      IntelPart atom = v == Vendor.INTEL ? c.find(IN_ORDER_ATOMS) : null;
      if (atom != null) {
        c.note(atom.name());
        return c.notAffected("in-order core, no speculative indirect branches (Linux NO_SPECULATION)");
      }
      if (c.on("ibrsb") || c.on("ibrs") || c.on("ibpb") || c.on("auto_ibrs") || c.on("eibrs")) {
        return c.mitigation("the guest can restrict or flush indirect branch prediction");
      }
      return c.exposed("no IBRS, IBPB or enhanced IBRS: retpolines at best, no barrier between contexts");
    });
  }

  /** Linux cpu_vuln_blacklist SRBDS rows that are not MMIO-affected. */
  static final List<IntelPart> SRBDS_PARTS = List.of(
      IntelPart.of("IVYBRIDGE", 0x3A),
      IntelPart.of("HASWELL", 0x3C),
      IntelPart.of("HASWELL_L", 0x45),
      IntelPart.of("HASWELL_G", 0x46),
      IntelPart.of("BROADWELL_G", 0x47),
      IntelPart.of("BROADWELL", 0x3D));

  /**
   * Linux cpu_vuln_blacklist rows with SRBDS or MMIO_SBDS that are also in its MMIO list (Processor
   * MMIO Stale Data). COMETLAKE_L stepping 0 matches an earlier row without MMIO_SBDS.
   */
  static final List<IntelPart> SRBDS_MMIO_PARTS = List.of(
      IntelPart.of("SKYLAKE_L", 0x4E),
      IntelPart.of("SKYLAKE", 0x5E),
      IntelPart.of("KABYLAKE_L", 0x8E),
      IntelPart.of("KABYLAKE", 0x9E),
      IntelPart.of("ICELAKE_L", 0x7E),
      IntelPart.of("COMETLAKE", 0xA5),
      new IntelPart("COMETLAKE_L", 0xA6, 1, IntelPart.ANY_STEPPING),
      IntelPart.of("LAKEFIELD", 0x8A),
      IntelPart.of("ATOM_TREMONT", 0x96),
      IntelPart.of("ATOM_TREMONT_L", 0x9C));

  static final List<IntelPart> SRBDS_ALL = concat(SRBDS_PARTS, SRBDS_MMIO_PARTS);

  /*
   * SRBDS, XSA-320, CVE-2020-0543. Intel only, the models of SRBDS_PARTS and SRBDS_MMIO_PARTS, and
   * only if RDRAND or RDSEED is visible (Linux common.c: SKUs without them are not affected; a
   * guest whose CPUID hides them does not use them). Linux bugs.c srbds_select_mitigation: an
   * MDS_NO part with TSX off is only exposed through MMIO Stale Data, so MDS_NO, RTM hidden and
   * (for an MMIO part) FBSDP_NO, PSDP_NO and SBDR_SSDP_NO all set -> not affected.
   * Otherwise the only fix is the host's microcode (MCU_OPT_CTRL, enumerated by SRBDS_CTRL, which
   * Xen never shows guests; Xen's spec-ctrl=srb-lock= governs it): EXPOSED, meaning "no
   * mitigation of the guest's own". Linux in a guest prints "Unknown: Dependent on hypervisor
   * status" here; we keep UNKNOWN for bits missing from the stream.
   */
  public static Assessment srbds(GuestSecurity g) {
    return RuleContext.decide(g, c -> {
      if (c.vendor() != Vendor.INTEL) {
        return c.notAffected("SRBDS affects Intel CPUs only");
      }
      IntelPart part = c.listed(SRBDS_ALL, "Linux's SRBDS list");
      if (part == null) {
        return c.notAffected("model not affected");
      }
      boolean mmio = SRBDS_MMIO_PARTS.contains(part);
      if (!c.on("rdrand") && !c.on("rdseed")) {
        return c.notAffected("the guest does not see the leaking RDRAND/RDSEED");
      }
      if (c.on("mds_no") && !c.on("rtm")
          && (!mmio || c.on("fbsdp_no") && c.on("psdp_no") && c.on("sbdr_ssdp_no"))) {
        return c.notAffected("MDS_NO part with TSX hidden (Linux: Mitigation: TSX disabled)");
      }
      return c.exposed("only the host's microcode (SRBDS_CTRL, never shown to guests) can mitigate");
    });
  }

  /**
   * Linux cpu_vuln_blacklist GDS rows. COMETLAKE_L stepping 0 matches an earlier row without GDS.
   */
  static final List<IntelPart> GDS_PARTS = List.of(
      IntelPart.of("SKYLAKE_X", 0x55),
      IntelPart.of("SKYLAKE_L", 0x4E),
      IntelPart.of("SKYLAKE", 0x5E),
      IntelPart.of("KABYLAKE_L", 0x8E),
      IntelPart.of("KABYLAKE", 0x9E),
      IntelPart.of("ICELAKE_L", 0x7E),
      IntelPart.of("ICELAKE_D", 0x6C),
      IntelPart.of("ICELAKE_X", 0x6A),
      IntelPart.of("COMETLAKE", 0xA5),
      new IntelPart("COMETLAKE_L", 0xA6, 1, IntelPart.ANY_STEPPING),
      IntelPart.of("TIGERLAKE_L", 0x8C),
      IntelPart.of("TIGERLAKE", 0x8D),
      IntelPart.of("ROCKETLAKE", 0xA7));

  /*
   * GDS (Downfall), XSA-435, CVE-2022-40982. Intel only; GDS_NO (ARCH_CAPS bit 26) -> not
   * affected; a model outside GDS_PARTS -> not affected. Linux common.c sets X86_BUG_GDS only when
   * AVX is visible too: a VMM may block the gathers by hiding AVX, which is what Xen does when it
   * has no microcode mitigation (spec-ctrl=gds-mit, docs/misc/xen-command-line.pandoc), so AVX
   * hidden -> not affected, checked before GDS_CTRL as Linux does. GDS_CTRL (ARCH_CAPS bit 25)
   * visible -> the microcode mitigation is there (Linux gds_select_mitigation). Otherwise EXPOSED:
   * the host's microcode may mitigate, but the guest cannot see it (Linux in a guest: "Unknown:
   * Dependent on hypervisor status").
   */
  public static Assessment gds(GuestSecurity g) {
    return RuleContext.decide(g, c -> {
      if (c.vendor() != Vendor.INTEL) {
        return c.notAffected("GDS affects Intel CPUs only");
      }
      if (c.on("gds_no")) {
        return c.notAffected("gathers do not leak");
      }
      if (c.listed(GDS_PARTS, "Linux's GDS list") == null) {
        return c.notAffected("model not affected");
      }
      if (!c.on("avx")) {
        return c.notAffected("AVX hidden: the guest cannot run the gather instructions");
      }
      if (c.on("gds_ctrl")) {
        return c.mitigation("microcode mitigation present (GDS_CTRL)");
      }
      return c.exposed("only the host's microcode, unseen by the guest, can mitigate");
    });
  }

  /** Linux cpu_vuln_blacklist RFDS rows: Atom cores, alone or in hybrid parts. */
  static final List<IntelPart> RFDS_PARTS = List.of(
      IntelPart.of("ALDERLAKE", 0x97),
      IntelPart.of("ALDERLAKE_L", 0x9A),
      IntelPart.of("RAPTORLAKE", 0xB7),
      IntelPart.of("RAPTORLAKE_P", 0xBA),
      IntelPart.of("RAPTORLAKE_S", 0xBF),
      IntelPart.of("ATOM_GRACEMONT", 0xBE),
      IntelPart.of("ATOM_TREMONT", 0x96),
      IntelPart.of("ATOM_TREMONT_D", 0x86),
      IntelPart.of("ATOM_TREMONT_L", 0x9C),
      IntelPart.of("ATOM_GOLDMONT", 0x5C),
      IntelPart.of("ATOM_GOLDMONT_D", 0x5F),
      IntelPart.of("ATOM_GOLDMONT_PLUS", 0x7A));

  /*
   * RFDS, XSA-452, CVE-2023-28746. Intel only. Linux common.c vulnerable_to_rfds: RFDS_NO
   * (ARCH_CAPS bit 27) trumps everything; RFDS_CLEAR (bit 28) means affected (or may migrate to
   * an affected host) and VERW also clears the register file -> mitigation available (bugs.c
   * rfds_select_mitigation); with neither, only the model list decides: listed -> EXPOSED
   * (microcode without RFDS_CLEAR), else not affected.
   */
  public static Assessment rfds(GuestSecurity g) {
    return RuleContext.decide(g, c -> {
      if (c.vendor() != Vendor.INTEL) {
        return c.notAffected("RFDS affects Intel Atom cores only");
      }
      if (c.on("rfds_no")) {
        return c.notAffected("the register file does not leak");
      }
      if (c.on("rfds_clear")) {
        return c.mitigation("VERW also clears the register file");
      }
      if (c.listed(RFDS_PARTS, "Linux's RFDS list") == null) {
        return c.notAffected("model not affected");
      }
      return c.exposed("VERW does not clear the register file (no RFDS_CLEAR)");
    });
  }

  /**
   * Linux cpu_vuln_blacklist ITS rows without ITS_NATIVE_ONLY: guest/host isolation (eIBRS) is
   * affected too. Earlier steppings of these models match Linux rows without ITS.
   */
  static final List<IntelPart> ITS_PARTS = List.of(
      new IntelPart("SKYLAKE_X", 0x55, 6, IntelPart.ANY_STEPPING),
      new IntelPart("KABYLAKE_L", 0x8E, 0xC, IntelPart.ANY_STEPPING),
      new IntelPart("KABYLAKE", 0x9E, 0xD, IntelPart.ANY_STEPPING),
      IntelPart.of("COMETLAKE", 0xA5),
      IntelPart.of("COMETLAKE_L", 0xA6));

  /** Linux cpu_vuln_blacklist ITS | ITS_NATIVE_ONLY rows: guest/host isolation not affected. */
  static final List<IntelPart> ITS_NATIVE_ONLY_PARTS = List.of(
      IntelPart.of("ICELAKE_L", 0x7E),
      IntelPart.of("ICELAKE_D", 0x6C),
      IntelPart.of("ICELAKE_X", 0x6A),
      IntelPart.of("TIGERLAKE_L", 0x8C),
      IntelPart.of("TIGERLAKE", 0x8D),
      IntelPart.of("ROCKETLAKE", 0xA7));

  static final List<IntelPart> ITS_ALL = concat(ITS_PARTS, ITS_NATIVE_ONLY_PARTS);

  /*
   * ITS (Indirect Target Selection), XSA-469, CVE-2024-28956. Intel only. ITS_NO (ARCH_CAPS bit
   * 62) is never set by hardware: the VMM synthesises it when the host is not affected (Linux
   * msr-index.h; KVM sets it unless X86_BUG_ITS). Linux common.c vulnerable_to_its: ITS_NO ->
   * not affected; BHI_CTRL visible -> not affected ("none of the affected CPUs have BHI_CTRL").
   * Linux then assumes a guest without ITS_NO is affected, as it may migrate; this audit judges
   * the host model the policy records instead: not in ITS_PARTS/ITS_NATIVE_ONLY_PARTS -> not
   * affected (the reason says so).
   * No CPU bit mitigates ITS: on ITS_NATIVE_ONLY parts only the guest kernel's own indirect
   * branches are at risk, which its aligned branch/return thunks fix (Linux bugs.c
   * its_select_mitigation) -> mitigation available. On the other parts eIBRS guest/host
   * isolation fails too, which only the host's microcode and Xen's XSA-469 changes address,
   * unseen by the guest -> EXPOSED.
   */
  public static Assessment its(GuestSecurity g) {
    return RuleContext.decide(g, c -> {
      if (c.vendor() != Vendor.INTEL) {
        return c.notAffected("ITS affects Intel CPUs only");
      }
      if (c.on("its_no")) {
        return c.notAffected("the hypervisor states the host is not affected");
      }
      if (c.on("bhi_ctrl")) {
        return c.notAffected("no ITS-affected CPU has BHI_CTRL");
      }
      IntelPart part = c.listed(ITS_ALL, "Linux's ITS list");
      if (part == null) {
        return c.notAffected("model not affected (a Linux guest still assumes ITS without ITS_NO)");
      }
      if (ITS_NATIVE_ONLY_PARTS.contains(part)) {
        return c.mitigation("ITS_NATIVE_ONLY part: only the guest's own branches are at risk, its kernel's aligned thunks fix them");
      }
      return c.exposed("guest/host branch isolation is affected and only the host's microcode and Xen can fix it");
    });
  }

  private static List<IntelPart> concat(List<IntelPart> a, List<IntelPart> b) {
    return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
  }
}
