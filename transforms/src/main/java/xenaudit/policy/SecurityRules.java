package xenaudit.policy;

/**
 * One rule per {@link SecurityIssue}: a verdict from what the guest's kernel sees ({@link
 * CpuPolicy#seen}), not from what the host may do behind its back, and the line the guest's own
 * Linux would print in {@code /sys/devices/system/cpu/vulnerabilities/<file>}.
 *
 * <p>Sources. The bug conditions follow Linux 6.19's {@code cpu_set_bug_bits()} and its helpers
 * ({@code vulnerable_to_rfds}, {@code vulnerable_to_its}, {@code arch_cap_mmio_immune}) in
 * arch/x86/kernel/cpu/common.c; the model lists are Linux's {@code cpu_vuln_whitelist} and {@code
 * cpu_vuln_blacklist}, carried as data ({@link VulnerabilityModels}, {@code
 * cpu-vulnerability-models.tsv}, first matching row wins as in Linux). The sysfs lines follow the
 * default mitigation choices ({@code *_select/update/apply_mitigation}, no command line, every
 * attack vector mitigated, a distribution's {@code CONFIG_MITIGATION_*=y} and TSX off by default)
 * and the {@code *_show_state} functions of arch/x86/kernel/cpu/bugs.c, as printed in a guest
 * (X86_FEATURE_HYPERVISOR set, which every Xen guest sees). Xen's own view (xen/arch/x86/spec_ctrl.c)
 * is cited where it differs.
 *
 * <p>Unknowns ({@link RuleContext}): a rule reads bits in the order written; a bit the policy
 * leaves undecided gives UNKNOWN only when the verdict depends on it (both values are tried). A
 * missing vendor (no leaf 0) or signature (no leaf 1), when the rule needs it, gives UNKNOWN; so
 * does a policy without CPUID leaves, for every rule. The sysfs line is null when the unknown bits
 * change it.
 *
 * <p>Where Linux assumes the worst for a guest because it "may migrate" to an affected host (ITS
 * without ITS_NO), the verdict judges the CPU the policy records instead and says so; the sysfs
 * line still shows what Linux prints.
 */
public final class SecurityRules {
  /** Linux prints this after the MDS-family lines of a guest: it cannot see the host's SMT. */
  static final String SMT_HOST_UNKNOWN = "; SMT Host state unknown";
  static final String DEPENDS_ON_HYPERVISOR = "Unknown: Dependent on hypervisor status";

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
      case MELTDOWN -> meltdown(g);
      case SPECTRE_V1 -> spectreV1(g);
      case L1TF -> l1tf(g);
      case ITLB_MULTIHIT -> itlbMultihit(g);
      case MMIO_STALE_DATA -> mmioStaleData(g);
      case RETBLEED -> retbleed(g);
      case SRSO -> srso(g);
      case TSA -> tsa(g);
      case BHI -> bhi(g);
      case PBRSB -> pbrsb(g);
    };
  }

  /*
   * MDS, XSA-297, CVE-2018-12126/12127/12130, CVE-2019-11091. Linux common.c: X86_BUG_MDS unless
   * the whitelist says NO_MDS (AMD, Hygon, Goldmont Atoms) or MDS_NO (ARCH_CAPS bit 5) is set;
   * bugs.c mds_update_mitigation: VERW flushes when MD_CLEAR (7:0 edx bit 10) is there, else
   * "Vulnerable: Clear CPU buffers attempted, no microcode"; a guest adds "; SMT Host state unknown".
   * Unknowns: MDS_NO null -> UNKNOWN (NOT_AFFECTED if set, never if clear); MD_CLEAR null after
   * MDS_NO clear -> UNKNOWN.
   */
  public static Assessment mds(GuestSecurity g) {
    return RuleContext.decide(g, c -> {
      if (c.vendor() != Vendor.INTEL) {
        return c.notAffected("MDS affects Intel CPUs only");
      }
      if (c.exempt("NO_MDS")) {
        return c.notAffected("this Atom core does not leak its buffers");
      }
      if (c.on("mds_no")) {
        return c.notAffected("the CPU's buffers do not leak");
      }
      if (c.on("md_clear")) {
        return c.mitigation("VERW flushes the buffers").prints("Mitigation: Clear CPU buffers" + SMT_HOST_UNKNOWN);
      }
      return c.exposed("nothing flushes the buffers")
          .prints("Vulnerable: Clear CPU buffers attempted, no microcode" + SMT_HOST_UNKNOWN);
    });
  }

  /*
   * TAA, XSA-305, CVE-2019-11135. Intel only, and only with TSX: no RTM and no HLE visible means
   * no transaction to abort (Xen hides both by default since the TSX microcode). TAA_NO (ARCH_CAPS
   * bit 8) says aborts do not leak; otherwise the MDS VERW flush (MD_CLEAR) is the mitigation.
   * Linux (common.c) sets X86_BUG_TAA for RTM or TSX_CTRL without TAA_NO, disables TSX itself when
   * TSX_CTRL is there (tsx=off by default), and in bugs.c taa_update_mitigation trusts VERW only
   * with MD_CLEAR and, on an MDS_NO part, TSX_CTRL (the TAA microcode).
   * Unknowns: RTM or HLE null -> tried both ways, so TAA_NO set still gives NOT_AFFECTED; TAA_NO
   * or MD_CLEAR null when they decide -> UNKNOWN.
   */
  public static Assessment taa(GuestSecurity g) {
    return RuleContext.decide(g, c -> {
      if (c.vendor() != Vendor.INTEL) {
        return c.notAffected("TAA affects Intel CPUs only");
      }
      if (!c.on("rtm") && !c.on("hle")) {
        return c.notAffected("no TSX, no transaction to abort").prints(() -> taaLine(c));
      }
      if (c.on("taa_no")) {
        return c.notAffected("TSX aborts do not leak");
      }
      if (c.on("md_clear")) {
        return c.mitigation("VERW flushes the buffers TSX aborts leak from").prints(() -> taaLine(c));
      }
      return c.exposed("nothing flushes the buffers TSX aborts leak from").prints(() -> taaLine(c));
    });
  }

  private static String taaLine(RuleContext c) {
    boolean tsxCtrl = c.quiet("tsx_ctrl");
    boolean rtm = c.quiet("rtm");
    if (c.quiet("taa_no") || !rtm && !tsxCtrl) {
      return RuleContext.NOT_AFFECTED;
    }
    if (!rtm || tsxCtrl) {
      return "Mitigation: TSX disabled";
    }
    if (c.quiet("md_clear") && !c.quiet("mds_no")) {
      return "Mitigation: Clear CPU buffers" + SMT_HOST_UNKNOWN;
    }
    return "Vulnerable: Clear CPU buffers attempted, no microcode" + SMT_HOST_UNKNOWN;
  }

  /*
   * SSB (Spectre v4), XSA-263, CVE-2018-3639. Any vendor; INTEL_SSB_NO (ARCH_CAPS bit 4), AMD's
   * SSB_NO (0x80000008 ebx bit 26) or Linux's NO_SSB whitelist (old AMD families, some Atoms) say
   * loads do not bypass older stores (common.c). Otherwise the guest can turn store bypass off
   * through SSBD (SPEC_CTRL bit 2, 7:0 edx bit 31), AMD_SSBD (0x80000008 ebx bit 24) or VIRT_SSBD
   * (VIRT_SPEC_CTRL, 0x80000008 ebx bit 25, which Xen emulates); bugs.c ssb_select_mitigation
   * picks prctl by default.
   * Unknowns: an unknown *_NO bit matters only if the other is clear; an unknown SSBD bit only if
   * no other SSBD bit is set.
   */
  public static Assessment ssb(GuestSecurity g) {
    return RuleContext.decide(g, c -> {
      c.vendor();
      if (c.on("intel_ssb_no") || c.on("ssb_no")) {
        return c.notAffected("loads do not speculatively bypass older stores");
      }
      if (c.exempt("NO_SSB")) {
        return c.notAffected("loads do not speculatively bypass older stores on this CPU");
      }
      if (c.on("ssbd") || c.on("amd_ssbd") || c.on("virt_ssbd")) {
        return c.mitigation("the guest can disable store bypass (SSBD)")
            .prints("Mitigation: Speculative Store Bypass disabled via prctl");
      }
      return c.exposed("no SSBD control visible to the guest").prints("Vulnerable");
    });
  }

  /*
   * Spectre v2 (branch target injection), XSA-254, CVE-2017-5715. Every out-of-order x86 CPU is
   * affected: Linux common.c sets X86_BUG_SPECTRE_V2 unless the whitelist says NO_SPECULATION
   * (family 4, non-AMD family 5, the in-order Atoms) or NO_SPECTRE_V2 (Centaur/Zhaoxin family 7).
   * Mitigation available when the guest sees a hardware control its kernel builds on (bugs.c
   * spectre_v2_select_mitigation, Xen spec_ctrl.c): IBRSB (Intel SPEC_CTRL/PRED_CMD, 7:0 edx bit
   * 26), AMD's IBRS or IBPB (0x80000008 ebx bits 14, 12), AUTO_IBRS (0x80000021 eax bit 8) or
   * EIBRS (ARCH_CAPS bit 1). Retpolines need no bit, but without IBPB nothing separates contexts.
   * The sysfs line carries Linux's BHI and PBRSB clauses; their verdicts are BHI's and PBRSB's.
   * Unknowns: an unknown control matters only if no other control is set.
   */
  public static Assessment spectreV2(GuestSecurity g) {
    return RuleContext.decide(g, c -> {
      c.vendor();
      if (c.exempt("NO_SPECULATION")) {
        return c.notAffected("no speculative indirect branches (Linux NO_SPECULATION)");
      }
      if (c.exempt("NO_SPECTRE_V2")) {
        return c.notAffected("indirect branch prediction is not exploitable on this CPU");
      }
      if (c.on("ibrsb") || c.on("ibrs") || c.on("ibpb") || c.on("auto_ibrs") || c.on("eibrs")) {
        return c.mitigation("the guest can restrict or flush indirect branch prediction").prints(() -> LinuxSpectreV2.line(c));
      }
      return c.exposed("no IBRS, IBPB or enhanced IBRS: retpolines at best, no barrier between contexts")
          .prints(() -> LinuxSpectreV2.line(c));
    });
  }

  /*
   * SRBDS, XSA-320, CVE-2020-0543. Intel only, the models of Linux's blacklist rows with SRBDS or
   * MMIO_SBDS, and only if RDRAND or RDSEED is visible (Linux common.c: SKUs without them are not
   * affected; a guest whose CPUID hides them does not use them). Linux bugs.c
   * srbds_select_mitigation: an MDS_NO part with TSX off is only exposed through MMIO Stale Data, so
   * MDS_NO, RTM hidden and no X86_BUG_MMIO_STALE_DATA (an MMIO part with FBSDP_NO, PSDP_NO and
   * SBDR_SSDP_NO all set is immune) -> not affected ("Mitigation: TSX disabled").
   * Otherwise the only fix is the host's microcode (MCU_OPT_CTRL, enumerated by SRBDS_CTRL, which
   * Xen never shows guests; Xen's spec-ctrl=srb-lock= governs it): EXPOSED, meaning "no
   * mitigation of the guest's own"; Linux in a guest prints "Unknown: Dependent on hypervisor
   * status".
   */
  public static Assessment srbds(GuestSecurity g) {
    return RuleContext.decide(g, c -> {
      if (c.vendor() != Vendor.INTEL) {
        return c.notAffected("SRBDS affects Intel CPUs only");
      }
      if (!c.blacklisted("SRBDS", "SRBDS", "MMIO_SBDS")) {
        return c.notAffected("model not affected");
      }
      if (!c.on("rdrand") && !c.on("rdseed")) {
        return c.notAffected("the guest does not see the leaking RDRAND/RDSEED");
      }
      boolean mmio = c.inBlacklist("MMIO");
      if (c.on("mds_no") && !c.on("rtm")
          && (!mmio || c.on("fbsdp_no") && c.on("psdp_no") && c.on("sbdr_ssdp_no"))) {
        return c.notAffected("MDS_NO part with TSX hidden (Linux: Mitigation: TSX disabled)")
            .prints("Mitigation: TSX disabled");
      }
      return c.exposed("only the host's microcode (SRBDS_CTRL, never shown to guests) can mitigate")
          .prints(DEPENDS_ON_HYPERVISOR);
    });
  }

  /*
   * GDS (Downfall), XSA-435, CVE-2022-40982. Intel only; GDS_NO (ARCH_CAPS bit 26) -> not
   * affected; a model outside Linux's GDS rows -> not affected. Linux common.c sets X86_BUG_GDS
   * only when AVX is visible too: a VMM may block the gathers by hiding AVX, which is what Xen does
   * when it has no microcode mitigation (spec-ctrl=gds-mit), so AVX hidden -> not affected.
   * GDS_CTRL (ARCH_CAPS bit 25) visible -> the microcode mitigation is there. Otherwise EXPOSED:
   * the host's microcode may mitigate, but the guest cannot see it. Linux in any guest prints
   * "Unknown: Dependent on hypervisor status" (bugs.c gds_select_mitigation).
   */
  public static Assessment gds(GuestSecurity g) {
    return RuleContext.decide(g, c -> {
      if (c.vendor() != Vendor.INTEL) {
        return c.notAffected("GDS affects Intel CPUs only");
      }
      if (c.on("gds_no")) {
        return c.notAffected("gathers do not leak");
      }
      if (!c.blacklisted("GDS", "GDS")) {
        return c.notAffected("model not affected");
      }
      if (!c.on("avx")) {
        return c.notAffected("AVX hidden: the guest cannot run the gather instructions");
      }
      if (c.on("gds_ctrl")) {
        return c.mitigation("microcode mitigation present (GDS_CTRL)").prints(DEPENDS_ON_HYPERVISOR);
      }
      return c.exposed("only the host's microcode, unseen by the guest, can mitigate").prints(DEPENDS_ON_HYPERVISOR);
    });
  }

  /*
   * RFDS, XSA-452, CVE-2023-28746. Intel only. Linux common.c vulnerable_to_rfds: RFDS_NO
   * (ARCH_CAPS bit 27) trumps everything; RFDS_CLEAR (bit 28) means affected (or may migrate to
   * an affected host) and VERW also clears the register file -> mitigation available (bugs.c
   * rfds_update_mitigation: "Mitigation: Clear Register File"); with neither, only Linux's RFDS
   * rows decide (hybrid parts: their Atom cores only): listed -> EXPOSED ("Vulnerable: No
   * microcode"), else not affected.
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
        return c.mitigation("VERW also clears the register file").prints("Mitigation: Clear Register File");
      }
      if (!c.blacklisted("RFDS", "RFDS")) {
        return c.notAffected("model not affected");
      }
      return c.exposed("VERW does not clear the register file (no RFDS_CLEAR)").prints("Vulnerable: No microcode");
    });
  }

  /*
   * ITS (Indirect Target Selection), XSA-469, CVE-2024-28956. Intel only. ITS_NO (ARCH_CAPS bit
   * 62) is never set by hardware: the VMM synthesises it when the host is not affected (Xen
   * spec_ctrl.c its_calculations; KVM likewise). Linux common.c vulnerable_to_its: ITS_NO -> not
   * affected; BHI_CTRL visible -> not affected ("none of the affected CPUs have BHI_CTRL"). Linux
   * then assumes a guest without ITS_NO is affected, as it may migrate, and prints "Mitigation:
   * Aligned branch/return thunks"; this audit judges the host model the policy records instead:
   * not in Linux's ITS rows -> not affected (the reason says so).
   * No CPU bit mitigates ITS: on ITS_NATIVE_ONLY parts only the guest kernel's own indirect
   * branches are at risk, and its aligned thunks fix that -> mitigation available. On the other
   * parts eIBRS guest/host isolation fails too, which only the host's microcode and Xen's XSA-469
   * changes address, unseen by the guest -> EXPOSED.
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
      String thunks = c.inWhitelist("NO_SPECULATION") ? "Vulnerable" : "Mitigation: Aligned branch/return thunks";
      if (!c.blacklisted("ITS", "ITS")) {
        return c.notAffected("model not affected (a Linux guest still assumes ITS without ITS_NO)").prints(thunks);
      }
      if (c.inBlacklist("ITS_NATIVE_ONLY")) {
        return c.mitigation("ITS_NATIVE_ONLY part: only the guest's own branches are at risk, its kernel's aligned thunks fix them")
            .prints(thunks);
      }
      return c.exposed("guest/host branch isolation is affected and only the host's microcode and Xen can fix it")
          .prints(thunks);
    });
  }

  /*
   * Meltdown (rogue data cache load), XSA-254, CVE-2017-5754. Linux common.c: X86_BUG_CPU_MELTDOWN
   * unless the whitelist says NO_SPECULATION or NO_MELTDOWN (AMD, Hygon, some Atoms) or RDCL_NO
   * (ARCH_CAPS bit 0) is set. An HVM/PVH guest's kernel isolates itself with page-table isolation
   * ("Mitigation: PTI"), which needs no CPU bit. A PV guest's kernel cannot (Linux disables PTI on
   * Xen PV): only Xen's XPTI protects it, unseen by the guest -> EXPOSED, and Linux prints
   * "Unknown (XEN PV detected, hypervisor mitigation required)".
   */
  public static Assessment meltdown(GuestSecurity g) {
    return RuleContext.decide(g, c -> {
      c.vendor();
      if (c.exempt("NO_SPECULATION") || c.exempt("NO_MELTDOWN")) {
        return c.notAffected("the CPU does not load data it may not read");
      }
      if (c.on("rdcl_no")) {
        return c.notAffected("the CPU does not load data it may not read");
      }
      if (c.pv()) {
        return c.exposed("a PV guest's kernel cannot use page-table isolation: only Xen's XPTI protects it")
            .prints("Unknown (XEN PV detected, hypervisor mitigation required)");
      }
      return c.mitigation("the guest's kernel isolates its page tables (PTI), which needs no CPU feature")
          .prints("Mitigation: PTI");
    });
  }

  /*
   * Spectre v1 (bounds check bypass), XSA-254, CVE-2017-5753. Every CPU Linux does not whitelist
   * as NO_SPECULATION (common.c). The mitigation is the kernel's own code (__user pointer
   * sanitisation, usercopy and swapgs barriers; bugs.c spectre_v1_select_mitigation), needing no
   * CPU feature -> mitigation available.
   */
  public static Assessment spectreV1(GuestSecurity g) {
    return RuleContext.decide(g, c -> {
      c.vendor();
      if (c.exempt("NO_SPECULATION")) {
        return c.notAffected("no speculative execution past bounds checks");
      }
      return c.mitigation("the guest's kernel fences and sanitises user pointers, which needs no CPU feature")
          .prints("Mitigation: usercopy/swapgs barriers and __user pointer sanitization");
    });
  }

  /*
   * L1TF (L1 Terminal Fault), XSA-273, CVE-2018-3620/3646. Linux common.c: X86_BUG_L1TF where
   * Meltdown applies (no NO_SPECULATION, NO_MELTDOWN or RDCL_NO) unless the whitelist says NO_L1TF.
   * The guest's kernel inverts the address bits of non-present page-table entries (bugs.c
   * l1tf_select_mitigation, "Mitigation: PTE Inversion"), which needs no CPU feature; protection
   * from other guests is Xen's L1D flush on VM entry (spec-ctrl=l1d-flush, XSA-273), not recorded
   * in the stream. A guest that sees VMX and runs VMs of its own adds its KVM's state.
   */
  public static Assessment l1tf(GuestSecurity g) {
    return RuleContext.decide(g, c -> {
      c.vendor();
      if (c.exempt("NO_SPECULATION") || c.exempt("NO_MELTDOWN")) {
        return c.notAffected("the CPU does not load data it may not read");
      }
      if (c.on("rdcl_no")) {
        return c.notAffected("the CPU does not load data it may not read");
      }
      if (c.exempt("NO_L1TF")) {
        return c.notAffected("terminal faults do not read the L1 cache on this CPU");
      }
      return c.mitigation("the guest's kernel inverts non-present PTEs; cross-guest protection is Xen's L1D flush")
          .prints(() -> "Mitigation: PTE Inversion" + (c.quiet("vmx")
              ? "{|; VMX: conditional cache flushes, SMT vulnerable|; VMX: conditional cache flushes, SMT disabled}"
              : ""));
    });
  }

  /*
   * iTLB multihit (machine check on page size change), XSA-304, CVE-2018-12207. Linux common.c:
   * X86_BUG_ITLB_MULTIHIT unless the whitelist says NO_ITLB_MULTIHIT (AMD, Hygon, Atoms) or
   * IF_PSCHANGE_MC_NO (ARCH_CAPS bit 6) is set. Only a hypervisor's guests can trigger it: the
   * host's protection is Xen's (ept=no-exec-sp), and a guest that sees no VMX cannot host VMs
   * ("KVM: Mitigation: VMX unsupported"); one that sees VMX splits its VMs' huge pages by default
   * -> mitigation available either way.
   */
  public static Assessment itlbMultihit(GuestSecurity g) {
    return RuleContext.decide(g, c -> {
      c.vendor();
      if (c.exempt("NO_ITLB_MULTIHIT")) {
        return c.notAffected("page size changes do not raise machine checks on this CPU");
      }
      if (c.on("if_pschange_mc_no")) {
        return c.notAffected("page size changes do not raise machine checks");
      }
      if (c.on("vmx")) {
        return c.mitigation("the guest's own KVM splits its VMs' huge pages; the host is Xen's to protect")
            .prints("KVM: Mitigation: {VMX disabled|Split huge pages}");
      }
      return c.mitigation("the guest cannot run VMs of its own (no VMX); the host is Xen's to protect")
          .prints("KVM: Mitigation: VMX unsupported");
    });
  }

  /*
   * Processor MMIO Stale Data, XSA-404, CVE-2022-21123/21125/21166. Linux common.c: X86_BUG_MMIO_
   * STALE_DATA for Linux's MMIO rows unless arch_cap_mmio_immune (FBSDP_NO, PSDP_NO and
   * SBDR_SSDP_NO, ARCH_CAPS bits 14, 15, 13, all set). bugs.c mmio_update_mitigation: VERW clears
   * the fill buffers when FB_CLEAR (bit 17) is set, or MD_CLEAR and L1D_FLUSH on a part that is not
   * MDS_NO -> mitigation available; else "Vulnerable: Clear CPU buffers attempted, no microcode".
   */
  public static Assessment mmioStaleData(GuestSecurity g) {
    return RuleContext.decide(g, c -> {
      c.vendor();
      if (c.on("fbsdp_no") && c.on("psdp_no") && c.on("sbdr_ssdp_no")) {
        return c.notAffected("no fill buffer, primary or shared buffer leaks stale data");
      }
      if (!c.blacklisted("MMIO", "MMIO")) {
        return c.notAffected("model not affected");
      }
      if (c.on("fb_clear") || c.on("md_clear") && c.on("l1d_flush") && !c.on("mds_no")) {
        return c.mitigation("VERW clears the fill buffers").prints("Mitigation: Clear CPU buffers" + SMT_HOST_UNKNOWN);
      }
      return c.exposed("VERW does not clear the fill buffers (no FB_CLEAR)")
          .prints("Vulnerable: Clear CPU buffers attempted, no microcode" + SMT_HOST_UNKNOWN);
    });
  }

  /*
   * Retbleed (return stack underflow, AMD branch type confusion), XSA-407, CVE-2022-29900/29901,
   * CVE-2022-23816/23825. Linux common.c: X86_BUG_RETBLEED unless BTC_NO (0x80000008 ebx bit 29,
   * which Xen synthesises for Zen 3/4 guests) when Linux's RETBLEED rows list the CPU (Intel
   * Skylake to Rocket Lake generations, AMD families 0x15-0x17, Hygon 0x18) or RSBA (ARCH_CAPS
   * bit 2) is set. bugs.c retbleed_select/update_mitigation: Intel uses enhanced IBRS (EIBRS) or
   * IBRS (IBRSB) -> mitigation available, else "Vulnerable"; AMD and Hygon use the untrained return
   * thunk, which needs no CPU feature -> mitigation available ("SMT ..." depends on the guest's SMT
   * at run time, STIBP protecting it when visible).
   */
  public static Assessment retbleed(GuestSecurity g) {
    return RuleContext.decide(g, c -> {
      Vendor v = c.vendor();
      if (c.on("btc_no")) {
        return c.notAffected("returns do not take other branch types' predictions");
      }
      boolean listed = c.blacklisted("RETBLEED", "RETBLEED");
      if (!listed && !c.on("rsba")) {
        return c.notAffected("model not affected and no RSBA");
      }
      if (v == Vendor.AMD || v == Vendor.HYGON) {
        return c.mitigation("the guest's kernel untrains returns on kernel entry, which needs no CPU feature")
            .prints(() -> "Mitigation: untrained return thunk; SMT " + (c.quiet("stibp") || c.quiet("amd_stibp")
                ? "{enabled with STIBP protection|disabled}" : "{vulnerable|disabled}"));
      }
      if (v == Vendor.INTEL && c.on("eibrs")) {
        return c.mitigation("enhanced IBRS keeps returns from using the BTB").prints("Mitigation: Enhanced IBRS");
      }
      if (v == Vendor.INTEL && c.on("ibrsb")) {
        return c.mitigation("the guest's kernel runs with IBRS set").prints("Mitigation: IBRS");
      }
      return c.exposed("no IBRS or enhanced IBRS: returns may take attacker-trained predictions").prints("Vulnerable");
    });
  }

  /*
   * SRSO ("Inception"), XSA-434, CVE-2023-20569. Linux common.c: X86_BUG_SRSO unless SRSO_NO
   * (0x80000021 eax bit 29, which Xen synthesises for guests when safe) for Linux's SRSO rows (AMD
   * families 0x17, 0x19, 0x1a, Hygon 0x18). bugs.c srso_select_mitigation (every attack vector
   * mitigated): the safe-RET return thunk, which works only with the IBPB that flushes branch
   * types (IBPB_BRTYPE, 0x80000021 eax bit 28; Xen synthesises it) -> mitigation available, else
   * "Vulnerable: Safe RET, no microcode". SRSO_US_NO (bit 30, user/kernel not affected) leaves only
   * the VM exit path: "Mitigation: IBPB on VMEXIT only", or "Mitigation: Reduced Speculation" with
   * SRSO_MSR_FIX (bit 31; Xen never shows it to guests). Zen 1/2 without SMT print "Mitigation: SMT
   * disabled"; the verdict assumes the guest may run SMT siblings.
   */
  public static Assessment srso(GuestSecurity g) {
    return RuleContext.decide(g, c -> {
      c.vendor();
      if (c.on("srso_no")) {
        return c.notAffected("return predictions cannot be poisoned from the return stack");
      }
      if (!c.blacklisted("SRSO", "SRSO")) {
        return c.notAffected("model not affected");
      }
      boolean brtype = c.on("ibpb_brtype");
      boolean zen12 = c.family() < 0x19;
      RuleContext.Outcome o;
      java.util.function.Supplier<String> line;
      if (c.on("srso_us_no")) {
        o = c.mitigation("user/kernel switches are not affected (SRSO_US_NO); VM exits are flushed");
        line = () -> c.quiet("srso_msr_fix") ? "Mitigation: Reduced Speculation" : "Mitigation: IBPB on VMEXIT only";
      } else if (brtype) {
        o = c.mitigation("the guest's kernel uses the safe-RET thunk, backed by an IBPB that flushes branch types");
        line = () -> "Mitigation: Safe RET";
      } else {
        o = c.exposed("no IBPB that flushes branch types: the safe-RET thunk alone does not protect");
        line = () -> "Vulnerable: Safe RET, no microcode";
      }
      // Zen 1/2 without SMT siblings print "SMT disabled" instead; the stream cannot tell.
      return o.prints(zen12 ? () -> "{" + line.get() + "|Mitigation: SMT disabled}" : line);
    });
  }

  /*
   * TSA (Transient Scheduler Attacks), XSA-471, CVE-2024-36350/36357. AMD only. Linux common.c:
   * with TSA_SQ_NO and TSA_L1_NO (0x80000021 ecx bits 1, 2; Xen synthesises both on unaffected
   * hosts) not affected; otherwise Linux's TSA rows (family 0x19, Zen 3/4). Its "Zen guests, for
   * live migration" clause tests X86_FEATURE_ZEN before init_amd() sets it and so never fires:
   * Zen 1/2 guests are not affected. bugs.c tsa_select_mitigation: VERW clears the buffers with
   * VERW_CLEAR (0x80000021 eax bit 5) -> "Mitigation: Clear CPU buffers", else "Vulnerable: No
   * microcode".
   */
  public static Assessment tsa(GuestSecurity g) {
    return RuleContext.decide(g, c -> {
      if (c.vendor() != Vendor.AMD) {
        return c.notAffected("TSA affects AMD CPUs only");
      }
      if (c.on("tsa_sq_no") && c.on("tsa_l1_no")) {
        return c.notAffected("neither the store queue nor the L1 leaks across a scheduling boundary");
      }
      if (!c.blacklisted("TSA", "TSA")) {
        return c.notAffected("model not affected");
      }
      if (c.on("verw_clear")) {
        return c.mitigation("VERW clears the CPU buffers").prints("Mitigation: Clear CPU buffers");
      }
      return c.exposed("VERW does not clear the CPU buffers (no VERW_CLEAR)").prints("Vulnerable: No microcode");
    });
  }

  /*
   * BHI (branch history injection), XSA-456, CVE-2024-2201. Intel: Linux's whitelist says NO_BHI
   * for AMD, Hygon, Centaur and Zhaoxin. BHI_NO (ARCH_CAPS bit 20) says branch history does not
   * cross privilege modes -> not affected, as Xen (spec_ctrl.c cpu_has_bug_bhi) and Intel define
   * it; Linux 6.19 (common.c) sets X86_BUG_BHI for every Intel guest regardless and keeps clearing
   * the history against intra-mode attacks, which its sysfs clause shows. Mitigation: BHI_CTRL
   * (7:2 edx bit 4) lets the kernel set BHI_DIS_S; otherwise the kernel clears the history in
   * software on entry ("SW loop"), or retpolines suffice where RRSBA is absent or disabled (bugs.c
   * bhi_apply_mitigation) -> mitigation available. The sysfs line is the BHI clause of spectre_v2.
   */
  public static Assessment bhi(GuestSecurity g) {
    return RuleContext.decide(g, c -> {
      c.vendor();
      if (c.exempt("NO_SPECULATION") || c.exempt("NO_BHI")) {
        return c.notAffected("branch history is not used for indirect predictions on this CPU")
            .prints(() -> LinuxSpectreV2.bhiClause(c));
      }
      if (c.on("bhi_no")) {
        return c.notAffected("branch history does not cross privilege modes").prints(() -> LinuxSpectreV2.bhiClause(c));
      }
      if (c.on("bhi_ctrl")) {
        return c.mitigation("the guest's kernel sets BHI_DIS_S").prints(() -> LinuxSpectreV2.bhiClause(c));
      }
      return c.mitigation("the guest's kernel clears the branch history in software on entry")
          .prints(() -> LinuxSpectreV2.bhiClause(c));
    });
  }

  /*
   * PBRSB (post-barrier RSB predictions), Intel-SA-00706, CVE-2022-26373 (no XSA: Xen itself was
   * not affected). Linux common.c: X86_BUG_EIBRS_PBRSB on CPUs with enhanced IBRS (EIBRS, or AMD's
   * AUTO_IBRS) unless the whitelist says NO_EIBRS_PBRSB (AMD, Hygon, some Atoms) or PBRSB_NO
   * (ARCH_CAPS bit 24) is set. bugs.c: the kernel retires one CALL after each VM exit ("PBRSB-eIBRS:
   * SW sequence"), which needs no CPU feature -> mitigation available. The sysfs line is the PBRSB
   * clause of spectre_v2.
   */
  public static Assessment pbrsb(GuestSecurity g) {
    return RuleContext.decide(g, c -> {
      c.vendor();
      if (c.exempt("NO_SPECULATION") || c.exempt("NO_EIBRS_PBRSB")) {
        return c.notAffected("the RSB is not predicted from after a barrier on this CPU")
            .prints(() -> LinuxSpectreV2.pbrsbClause(c));
      }
      if (c.on("pbrsb_no")) {
        return c.notAffected("RSB predictions do not survive the barrier").prints(() -> LinuxSpectreV2.pbrsbClause(c));
      }
      if (!c.on("eibrs") && !c.on("auto_ibrs")) {
        return c.notAffected("no enhanced IBRS: the kernel fills the RSB itself").prints(() -> LinuxSpectreV2.pbrsbClause(c));
      }
      return c.mitigation("the guest's kernel retires a CALL after each VM exit").prints(() -> LinuxSpectreV2.pbrsbClause(c));
    });
  }
}
