package xenaudit.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static xenaudit.policy.PolicyFixture.amd;
import static xenaudit.policy.PolicyFixture.intel;
import static xenaudit.policy.Verdict.EXPOSED;
import static xenaudit.policy.Verdict.MITIGATION_AVAILABLE;
import static xenaudit.policy.Verdict.NOT_AFFECTED;
import static xenaudit.policy.Verdict.UNKNOWN;

import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import xenaudit.format.GuestType;
import xenaudit.sample.CpuidProfiles;
import xenaudit.sample.CpuidProfiles.Model;
import xenaudit.sample.CpuidProfiles.Variation;

/**
 * The issues added after the first eight, and what the guest's Linux prints for every issue: for
 * each rule a policy that passes and one that fails, on hand-made policies and on the generator's
 * CPU models (Skylake, Cascade Lake, Ice Lake, Sapphire Rapids; Zen 1 to 4).
 */
class SecurityRulesLinuxTest {
  static final int SKYLAKE_SP = 0x00050654; // SKYLAKE_X stepping 4
  static final int CASCADE_LAKE = 0x00050657;
  static final int ICE_LAKE_X = 0x000606A6;
  static final int SAPPHIRE_RAPIDS = 0x000806F8;
  static final int TREMONT = 0x00080665; // ATOM_TREMONT_D 0x86
  static final int GOLDMONT = 0x000506C9;
  static final int ZEN1 = 0x00800F12;
  static final int ZEN2 = 0x00830F10;
  static final int ZEN3 = 0x00A00F11;
  static final int ZEN4 = 0x00A10F11;
  static final int ZEN5 = 0x00B00F21; // family 0x1a
  static final int HYGON = 0x00900F01; // family 0x18

  static Assessment check(SecurityIssue issue, PolicyFixture p, Verdict expected, String... inReason) {
    return check(issue, GuestSecurity.of(p.build(), GuestType.X86_HVM), expected, inReason);
  }

  static Assessment check(SecurityIssue issue, GuestSecurity g, Verdict expected, String... inReason) {
    Assessment a = SecurityRules.assess(issue, g);
    assertEquals(expected, a.verdict(), issue + ": " + a.reason());
    for (String s : inReason) {
      assertTrue(a.reason().contains(s), "reason \"" + a.reason() + "\" lacks \"" + s + "\"");
    }
    return a;
  }

  static GuestSecurity sample(Model m, Variation... v) {
    Set<Variation> vs = CpuidProfiles.applicable(m, v.length == 0 ? Set.of() : EnumSet.of(v[0], v));
    return GuestSecurity.of(CpuPolicy.of(CpuidProfiles.cpuid(m, true, 4, 19, 4, vs), CpuidProfiles.msr(m, 4, 19, vs)),
        GuestType.X86_HVM);
  }

  static String sysfs(SecurityIssue i, GuestSecurity g) {
    return g.assessment(i).sysfs();
  }

  @Nested
  class Meltdown {
    @Test
    void amdAndRdclNoAreNotAffected() {
      check(SecurityIssue.MELTDOWN, amd(ZEN3), NOT_AFFECTED, "(AMD) in Linux's NO_MELTDOWN list");
      check(SecurityIssue.MELTDOWN, amd(HYGON).hygon(), NOT_AFFECTED, "(Hygon) in Linux's NO_MELTDOWN list");
      Assessment a = check(SecurityIssue.MELTDOWN, intel(CASCADE_LAKE, "rdcl_no"), NOT_AFFECTED, "RDCL_NO set");
      assertEquals("Not affected", a.sysfs());
    }

    @Test
    void hvmGuestUsesPtiAndPvGuestNeedsXen() {
      Assessment a = check(SecurityIssue.MELTDOWN, intel(SKYLAKE_SP), MITIGATION_AVAILABLE, "RDCL_NO clear", "HVM");
      assertEquals("Mitigation: PTI", a.sysfs());
      a = check(SecurityIssue.MELTDOWN, GuestSecurity.of(intel(SKYLAKE_SP).build(), GuestType.X86_PV), EXPOSED,
          "PV guest", "XPTI");
      assertEquals("Unknown (XEN PV detected, hypervisor mitigation required)", a.sysfs());
    }

    @Test
    void unknownGuestTypeMattersOnlyWhenAffected() {
      assertEquals(UNKNOWN, GuestSecurity.of(intel(SKYLAKE_SP).build()).assessment(SecurityIssue.MELTDOWN).verdict());
      assertEquals(NOT_AFFECTED, GuestSecurity.of(amd(ZEN2).build()).assessment(SecurityIssue.MELTDOWN).verdict());
      check(SecurityIssue.MELTDOWN, intel(SKYLAKE_SP).noArchCapsMsr(), UNKNOWN, "RDCL_NO unknown");
    }
  }

  @Nested
  class SpectreV1 {
    @Test
    void everyOutOfOrderCpuIsMitigatedInSoftware() {
      Assessment a = check(SecurityIssue.SPECTRE_V1, amd(ZEN4), MITIGATION_AVAILABLE, "needs no CPU feature");
      assertEquals("Mitigation: usercopy/swapgs barriers and __user pointer sanitization", a.sysfs());
      check(SecurityIssue.SPECTRE_V1, intel(SAPPHIRE_RAPIDS), MITIGATION_AVAILABLE);
    }

    @Test
    void inOrderAtomIsNotAffected() {
      check(SecurityIssue.SPECTRE_V1, intel(0x000106C2), NOT_AFFECTED, "(ATOM_BONNELL) in Linux's NO_SPECULATION");
    }
  }

  @Nested
  class L1tf {
    @Test
    void affectedIntelInvertsPtes() {
      Assessment a = check(SecurityIssue.L1TF, intel(SKYLAKE_SP), MITIGATION_AVAILABLE, "RDCL_NO clear");
      assertEquals("Mitigation: PTE Inversion", a.sysfs());
      a = check(SecurityIssue.L1TF, intel(SKYLAKE_SP, "vmx"), MITIGATION_AVAILABLE);
      assertTrue(a.sysfs().startsWith("Mitigation: PTE Inversion{|; VMX: conditional cache flushes"), a.sysfs());
    }

    @Test
    void rdclNoAmdAndGoldmontAreNotAffected() {
      check(SecurityIssue.L1TF, intel(ICE_LAKE_X, "rdcl_no"), NOT_AFFECTED, "RDCL_NO set");
      check(SecurityIssue.L1TF, amd(ZEN1), NOT_AFFECTED, "NO_MELTDOWN");
      check(SecurityIssue.L1TF, intel(GOLDMONT), NOT_AFFECTED, "(ATOM_GOLDMONT) in Linux's NO_L1TF list");
    }
  }

  @Nested
  class ItlbMultihit {
    @Test
    void pschangeMcNoAndAmdAreNotAffected() {
      check(SecurityIssue.ITLB_MULTIHIT, intel(ICE_LAKE_X, "if_pschange_mc_no"), NOT_AFFECTED, "IF_PSCHANGE_MC_NO set");
      check(SecurityIssue.ITLB_MULTIHIT, amd(ZEN2), NOT_AFFECTED, "NO_ITLB_MULTIHIT");
      check(SecurityIssue.ITLB_MULTIHIT, intel(TREMONT), NOT_AFFECTED, "(ATOM_TREMONT_D)");
    }

    @Test
    void affectedGuestWithoutVmxCannotHostVms() {
      Assessment a = check(SecurityIssue.ITLB_MULTIHIT, intel(SKYLAKE_SP), MITIGATION_AVAILABLE, "VMX clear");
      assertEquals("KVM: Mitigation: VMX unsupported", a.sysfs());
      a = check(SecurityIssue.ITLB_MULTIHIT, intel(SKYLAKE_SP, "vmx"), MITIGATION_AVAILABLE, "VMX set");
      assertEquals("KVM: Mitigation: {VMX disabled|Split huge pages}", a.sysfs());
    }
  }

  @Nested
  class MmioStaleData {
    @Test
    void immuneOrUnlistedIsNotAffected() {
      check(SecurityIssue.MMIO_STALE_DATA, intel(ICE_LAKE_X, "fbsdp_no", "psdp_no", "sbdr_ssdp_no"), NOT_AFFECTED,
          "FBSDP_NO set", "PSDP_NO set", "SBDR_SSDP_NO set");
      check(SecurityIssue.MMIO_STALE_DATA, intel(SAPPHIRE_RAPIDS), NOT_AFFECTED, "not in Linux's MMIO list");
      check(SecurityIssue.MMIO_STALE_DATA, amd(ZEN3), NOT_AFFECTED, "not in Linux's MMIO list");
    }

    @Test
    void fbClearOrMdClearWithL1dFlushOnNonMdsNoPartIsMitigation() {
      Assessment a = check(SecurityIssue.MMIO_STALE_DATA, intel(ICE_LAKE_X, "fb_clear", "mds_no"), MITIGATION_AVAILABLE,
          "(ICELAKE_X) in Linux's MMIO list", "FB_CLEAR set");
      assertEquals("Mitigation: Clear CPU buffers; SMT Host state unknown", a.sysfs());
      check(SecurityIssue.MMIO_STALE_DATA, intel(SKYLAKE_SP, "md_clear", "l1d_flush"), MITIGATION_AVAILABLE,
          "L1D_FLUSH set", "MDS_NO clear");
    }

    @Test
    void mdsNoPartWithoutFbClearIsExposed() {
      Assessment a = check(SecurityIssue.MMIO_STALE_DATA, intel(CASCADE_LAKE, "md_clear", "l1d_flush", "mds_no"),
          EXPOSED, "MDS_NO set");
      assertEquals("Vulnerable: Clear CPU buffers attempted, no microcode; SMT Host state unknown", a.sysfs());
    }
  }

  @Nested
  class Retbleed {
    @Test
    void listedIntelWithIbrsOrEibrsIsMitigated() {
      Assessment a = check(SecurityIssue.RETBLEED, intel(SKYLAKE_SP, "ibrsb"), MITIGATION_AVAILABLE,
          "(SKYLAKE_X) in Linux's RETBLEED list");
      assertEquals("Mitigation: IBRS", a.sysfs());
      a = check(SecurityIssue.RETBLEED, intel(CASCADE_LAKE, "ibrsb", "eibrs"), MITIGATION_AVAILABLE);
      assertEquals("Mitigation: Enhanced IBRS", a.sysfs());
    }

    @Test
    void listedIntelWithoutIbrsIsExposed() {
      Assessment a = check(SecurityIssue.RETBLEED, intel(SKYLAKE_SP), EXPOSED, "IBRSB clear");
      assertEquals("Vulnerable", a.sysfs());
    }

    @Test
    void rsbaMakesAnUnlistedPartAffected() {
      check(SecurityIssue.RETBLEED, intel(SAPPHIRE_RAPIDS, "eibrs"), NOT_AFFECTED, "RSBA clear");
      check(SecurityIssue.RETBLEED, intel(SAPPHIRE_RAPIDS, "rsba", "eibrs"), MITIGATION_AVAILABLE, "RSBA set");
    }

    @Test
    void zen12UntrainReturnsAndBtcNoDecides() {
      Assessment a = check(SecurityIssue.RETBLEED, amd(ZEN2, "amd_stibp"), MITIGATION_AVAILABLE,
          "(AMD family 0x17) in Linux's RETBLEED list");
      assertEquals("Mitigation: untrained return thunk; SMT {enabled with STIBP protection|disabled}", a.sysfs());
      check(SecurityIssue.RETBLEED, amd(ZEN1, "btc_no"), NOT_AFFECTED, "BTC_NO set");
      check(SecurityIssue.RETBLEED, amd(ZEN3), NOT_AFFECTED, "not in Linux's RETBLEED list");
      check(SecurityIssue.RETBLEED, amd(HYGON).hygon(), MITIGATION_AVAILABLE, "(Hygon family 0x18)");
    }
  }

  @Nested
  class Srso {
    @Test
    void intelAndSrsoNoAreNotAffected() {
      check(SecurityIssue.SRSO, intel(SAPPHIRE_RAPIDS), NOT_AFFECTED, "not in Linux's SRSO list");
      check(SecurityIssue.SRSO, amd(ZEN3, "srso_no"), NOT_AFFECTED, "SRSO_NO set");
    }

    @Test
    void ibpbBrtypeDecidesTheSafeRet() {
      Assessment a = check(SecurityIssue.SRSO, amd(ZEN4, "ibpb_brtype"), MITIGATION_AVAILABLE,
          "(AMD family 0x19) in Linux's SRSO list", "IBPB_BRTYPE set");
      assertEquals("Mitigation: Safe RET", a.sysfs());
      a = check(SecurityIssue.SRSO, amd(ZEN3), EXPOSED, "IBPB_BRTYPE clear");
      assertEquals("Vulnerable: Safe RET, no microcode", a.sysfs());
    }

    @Test
    void srsoUsNoLeavesTheVmExitOnly() {
      Assessment a = check(SecurityIssue.SRSO, amd(ZEN5, "srso_us_no"), MITIGATION_AVAILABLE, "SRSO_US_NO set");
      assertEquals("Mitigation: IBPB on VMEXIT only", a.sysfs());
      assertEquals("Mitigation: Reduced Speculation",
          check(SecurityIssue.SRSO, amd(ZEN5, "srso_us_no", "srso_msr_fix"), MITIGATION_AVAILABLE).sysfs());
    }

    @Test
    void zen12WithoutSmtPrintsSmtDisabled() {
      Assessment a = check(SecurityIssue.SRSO, amd(ZEN2, "ibpb_brtype"), MITIGATION_AVAILABLE);
      assertEquals("{Mitigation: Safe RET|Mitigation: SMT disabled}", a.sysfs());
    }
  }

  @Nested
  class Tsa {
    @Test
    void intelAndBothNoBitsAreNotAffected() {
      check(SecurityIssue.TSA, intel(SAPPHIRE_RAPIDS), NOT_AFFECTED, "AMD CPUs only");
      check(SecurityIssue.TSA, amd(ZEN3, "tsa_sq_no", "tsa_l1_no"), NOT_AFFECTED, "TSA_SQ_NO set", "TSA_L1_NO set");
    }

    @Test
    void zen34WithoutBothNoBitsAreAffected() {
      Assessment a = check(SecurityIssue.TSA, amd(ZEN3, "tsa_sq_no", "verw_clear"), MITIGATION_AVAILABLE,
          "TSA_L1_NO clear", "(AMD family 0x19) in Linux's TSA list", "VERW_CLEAR set");
      assertEquals("Mitigation: Clear CPU buffers", a.sysfs());
      a = check(SecurityIssue.TSA, amd(ZEN4), EXPOSED, "VERW_CLEAR clear");
      assertEquals("Vulnerable: No microcode", a.sysfs());
    }

    @Test
    void zen12And5AreNotListed() {
      check(SecurityIssue.TSA, amd(ZEN2), NOT_AFFECTED, "not in Linux's TSA list");
      check(SecurityIssue.TSA, amd(ZEN5), NOT_AFFECTED, "not in Linux's TSA list");
    }
  }

  @Nested
  class Bhi {
    @Test
    void amdAndBhiNoAreNotAffected() {
      Assessment a = check(SecurityIssue.BHI, amd(ZEN4), NOT_AFFECTED, "NO_BHI");
      assertEquals("BHI: Not affected", a.sysfs());
      a = check(SecurityIssue.BHI, intel(SAPPHIRE_RAPIDS, "bhi_no", "eibrs"), NOT_AFFECTED, "BHI_NO set");
      assertEquals("BHI: SW loop, KVM: SW loop", a.sysfs(), "Linux 6.19 clears the history whatever BHI_NO says");
    }

    @Test
    void bhiCtrlOrSoftwareLoopMitigates() {
      Assessment a = check(SecurityIssue.BHI, intel(SAPPHIRE_RAPIDS, "bhi_ctrl", "eibrs"), MITIGATION_AVAILABLE,
          "BHI_CTRL set");
      assertEquals("BHI: BHI_DIS_S", a.sysfs());
      a = check(SecurityIssue.BHI, intel(ICE_LAKE_X, "eibrs"), MITIGATION_AVAILABLE, "BHI_CTRL clear");
      assertEquals("BHI: SW loop, KVM: SW loop", a.sysfs());
      // Retpolines without RRSBA: Linux relies on them.
      assertEquals("BHI: Retpoline", check(SecurityIssue.BHI, intel(0x000906EA), MITIGATION_AVAILABLE).sysfs());
    }

    @Test
    void unknownBhiNoIsUnknown() {
      check(SecurityIssue.BHI, intel(ICE_LAKE_X).noArchCapsMsr(), UNKNOWN, "BHI_NO unknown");
    }
  }

  @Nested
  class Pbrsb {
    @Test
    void eibrsWithoutPbrsbNoIsMitigatedBySoftware() {
      Assessment a = check(SecurityIssue.PBRSB, intel(ICE_LAKE_X, "eibrs"), MITIGATION_AVAILABLE, "EIBRS set");
      assertEquals("PBRSB-eIBRS: SW sequence", a.sysfs());
    }

    @Test
    void pbrsbNoNoEibrsAndAmdAreNotAffected() {
      Assessment a = check(SecurityIssue.PBRSB, intel(SAPPHIRE_RAPIDS, "eibrs", "pbrsb_no"), NOT_AFFECTED,
          "PBRSB_NO set");
      assertEquals("PBRSB-eIBRS: Not affected", a.sysfs());
      check(SecurityIssue.PBRSB, intel(SKYLAKE_SP), NOT_AFFECTED, "EIBRS clear");
      check(SecurityIssue.PBRSB, amd(ZEN4, "auto_ibrs"), NOT_AFFECTED, "NO_EIBRS_PBRSB");
    }
  }

  /** The first eight issues' sysfs lines, each way they can go. */
  @Nested
  class FirstEightLines {
    @Test
    void mdsTaaAndSsb() {
      assertEquals("Mitigation: Clear CPU buffers; SMT Host state unknown",
          check(SecurityIssue.MDS, intel(SKYLAKE_SP, "md_clear"), MITIGATION_AVAILABLE).sysfs());
      assertEquals("Vulnerable: Clear CPU buffers attempted, no microcode; SMT Host state unknown",
          check(SecurityIssue.MDS, intel(SKYLAKE_SP), EXPOSED).sysfs());
      assertEquals("Not affected", check(SecurityIssue.MDS, intel(CASCADE_LAKE, "mds_no"), NOT_AFFECTED).sysfs());
      check(SecurityIssue.MDS, intel(GOLDMONT), NOT_AFFECTED, "(ATOM_GOLDMONT) in Linux's NO_MDS list");
      assertEquals("Mitigation: TSX disabled",
          check(SecurityIssue.TAA, intel(CASCADE_LAKE, "rtm", "tsx_ctrl", "md_clear"), MITIGATION_AVAILABLE).sysfs());
      assertEquals("Vulnerable: Clear CPU buffers attempted, no microcode; SMT Host state unknown",
          check(SecurityIssue.TAA, intel(CASCADE_LAKE, "rtm", "mds_no", "md_clear"), MITIGATION_AVAILABLE).sysfs());
      assertEquals("Mitigation: Speculative Store Bypass disabled via prctl",
          check(SecurityIssue.SSB, amd(ZEN3, "virt_ssbd"), MITIGATION_AVAILABLE).sysfs());
    }

    @Test
    void srbdsGdsRfdsIts() {
      assertEquals("Unknown: Dependent on hypervisor status",
          check(SecurityIssue.SRBDS, intel(0x000906EA, "rdrand"), EXPOSED).sysfs());
      assertEquals("Unknown: Dependent on hypervisor status",
          check(SecurityIssue.GDS, intel(ICE_LAKE_X, "avx", "gds_ctrl"), MITIGATION_AVAILABLE).sysfs());
      assertEquals("Mitigation: Clear Register File",
          check(SecurityIssue.RFDS, intel(TREMONT, "rfds_clear"), MITIGATION_AVAILABLE).sysfs());
      assertEquals("Vulnerable: No microcode", check(SecurityIssue.RFDS, intel(TREMONT), EXPOSED).sysfs());
      assertEquals("Mitigation: Aligned branch/return thunks",
          check(SecurityIssue.ITS, intel(ICE_LAKE_X), MITIGATION_AVAILABLE).sysfs());
      assertEquals("Mitigation: Aligned branch/return thunks",
          check(SecurityIssue.ITS, intel(SAPPHIRE_RAPIDS), NOT_AFFECTED, "a Linux guest still assumes ITS").sysfs());
      assertEquals("Not affected", check(SecurityIssue.ITS, intel(SKYLAKE_SP, "its_no"), NOT_AFFECTED).sysfs());
    }

    @Test
    void spectreV2LineOfEachMode() {
      assertEquals("Mitigation: Enhanced / Automatic IBRS; IBPB: conditional; PBRSB-eIBRS: SW sequence; "
          + "BHI: SW loop, KVM: SW loop",
          check(SecurityIssue.SPECTRE_V2, intel(CASCADE_LAKE, "ibrsb", "stibp", "eibrs"), MITIGATION_AVAILABLE).sysfs());
      assertEquals("Mitigation: IBRS; IBPB: conditional; STIBP: {conditional|disabled}; RSB filling; "
          + "PBRSB-eIBRS: Not affected; BHI: SW loop, KVM: SW loop",
          check(SecurityIssue.SPECTRE_V2, intel(SKYLAKE_SP, "ibrsb", "stibp"), MITIGATION_AVAILABLE).sysfs());
      assertEquals("Mitigation: Retpolines; IBPB: conditional; IBRS_FW; STIBP: {always-on|disabled}; RSB filling; "
          + "PBRSB-eIBRS: Not affected; BHI: Not affected",
          check(SecurityIssue.SPECTRE_V2, amd(ZEN3, "ibpb", "ibrs", "amd_stibp", "stibp_always"), MITIGATION_AVAILABLE)
              .sysfs());
      assertEquals("Mitigation: Retpolines; STIBP: disabled; RSB filling; "
          + "PBRSB-eIBRS: Not affected; BHI: Not affected",
          check(SecurityIssue.SPECTRE_V2, amd(ZEN3), EXPOSED).sysfs());
    }
  }

  @Nested
  class Generator {
    /** The hidden-style fleet's CPUs as the generator writes them, with and without the *_NO bits. */
    @Test
    void everyModelGetsAVerdictForEveryIssueAndVendorIssuesSpareTheOtherVendor() {
      for (Model m : Model.values()) {
        GuestSecurity g = sample(m);
        for (SecurityIssue i : SecurityIssue.values()) {
          Assessment a = g.assessment(i);
          assertTrue(a.verdict() != UNKNOWN, m + " " + i + ": " + a.reason());
          if (!i.scope().concerns(g.vendor())) {
            assertEquals(NOT_AFFECTED, a.verdict(), m + " " + i + ": " + a.reason());
            assertTrue(a.sysfs().endsWith("Not affected"), m + " " + i + ": " + a.sysfs());
          }
        }
      }
    }

    @Test
    void noBitsFlipTheirIssues() {
      check(SecurityIssue.GDS, sample(Model.INTEL_ICE_LAKE_SP), EXPOSED, "(ICELAKE_X)");
      check(SecurityIssue.GDS, sample(Model.INTEL_ICE_LAKE_SP, Variation.GDS_NO), NOT_AFFECTED, "GDS_NO set");
      check(SecurityIssue.MMIO_STALE_DATA, sample(Model.INTEL_CASCADE_LAKE), EXPOSED, "FB_CLEAR clear");
      check(SecurityIssue.MMIO_STALE_DATA, sample(Model.INTEL_CASCADE_LAKE, Variation.MMIO_NO), NOT_AFFECTED);
      check(SecurityIssue.MMIO_STALE_DATA, sample(Model.INTEL_CASCADE_LAKE, Variation.FB_CLEAR), MITIGATION_AVAILABLE);
      check(SecurityIssue.PBRSB, sample(Model.INTEL_ICE_LAKE_SP), MITIGATION_AVAILABLE);
      check(SecurityIssue.PBRSB, sample(Model.INTEL_ICE_LAKE_SP, Variation.PBRSB_NO), NOT_AFFECTED, "PBRSB_NO set");
      check(SecurityIssue.BHI, sample(Model.INTEL_ICE_LAKE_SP, Variation.BHI_NO), NOT_AFFECTED, "BHI_NO set");
      check(SecurityIssue.RFDS, sample(Model.INTEL_SKYLAKE_SP, Variation.RFDS_CLEAR), MITIGATION_AVAILABLE);
      check(SecurityIssue.TSA, sample(Model.AMD_GENOA), EXPOSED, "(AMD family 0x19)");
      check(SecurityIssue.TSA, sample(Model.AMD_GENOA, Variation.VERW_CLEAR), MITIGATION_AVAILABLE);
      check(SecurityIssue.TSA, sample(Model.AMD_MILAN, Variation.TSA_NO), NOT_AFFECTED, "TSA_L1_NO set");
      check(SecurityIssue.SRSO, sample(Model.AMD_MILAN), EXPOSED, "IBPB_BRTYPE clear");
      check(SecurityIssue.SRSO, sample(Model.AMD_MILAN, Variation.IBPB_BRTYPE), MITIGATION_AVAILABLE);
      check(SecurityIssue.SRSO, sample(Model.AMD_GENOA, Variation.SRSO_NO), NOT_AFFECTED, "SRSO_NO set");
      // Rome's leaves stop at 0x8000001f; Xen raises the max extended leaf to offer 0x80000021 bits.
      check(SecurityIssue.SRSO, sample(Model.AMD_ROME, Variation.SRSO_NO), NOT_AFFECTED, "SRSO_NO set");
      check(SecurityIssue.RETBLEED, sample(Model.AMD_NAPLES), MITIGATION_AVAILABLE, "(AMD family 0x17)");
      check(SecurityIssue.RETBLEED, sample(Model.AMD_NAPLES, Variation.BTC_NO), NOT_AFFECTED, "BTC_NO set");
      check(SecurityIssue.RETBLEED, sample(Model.INTEL_SKYLAKE_SP), MITIGATION_AVAILABLE, "IBRSB set");
      check(SecurityIssue.MELTDOWN, sample(Model.INTEL_SKYLAKE_SP), MITIGATION_AVAILABLE, "RDCL_NO clear");
      check(SecurityIssue.MELTDOWN, sample(Model.INTEL_ICE_LAKE_SP), NOT_AFFECTED, "RDCL_NO set");
    }

    @Test
    void intelOnlyVariationsNeverReachAmdAndBack() {
      assertEquals(Set.of(), CpuidProfiles.applicable(Model.AMD_GENOA, EnumSet.of(Variation.GDS_NO, Variation.BHI_NO)));
      assertEquals(Set.of(), CpuidProfiles.applicable(Model.INTEL_ICE_LAKE_SP, EnumSet.of(Variation.TSA_NO)));
    }
  }

  @Test
  void aSysfsLineTheUnknownBitsChangeIsNull() {
    // BHI_CTRL unknown (leaf 7:2 missing): the verdict does not move, the BHI clause of the line does.
    Assessment a = check(SecurityIssue.SPECTRE_V2, intel(ICE_LAKE_X, "ibrsb", "eibrs").dropLeaf(7, 2),
        MITIGATION_AVAILABLE, "IBRSB set");
    assertNull(a.sysfs());
    // Unknown verdicts print nothing either.
    assertNull(check(SecurityIssue.TAA, intel(CASCADE_LAKE, "rtm", "md_clear").noArchCapsMsr(), UNKNOWN).sysfs());
  }
}
