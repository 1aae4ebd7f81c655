package xenaudit.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import xenaudit.sample.CpuidProfiles;
import xenaudit.sample.CpuidProfiles.Model;
import xenaudit.sample.CpuidProfiles.Variation;

class SecurityRulesTest {
  // CPUID.1.EAX signatures (family 6 unless noted).
  static final int CASCADE_LAKE = 0x00050657; // SKYLAKE_X stepping 7
  static final int SKYLAKE_X_4 = 0x00050654;
  static final int SKYLAKE = 0x000506E3; // client, stepping 3
  static final int COFFEE_LAKE_R = 0x000906ED; // KABYLAKE stepping 0xD
  static final int IVY_BRIDGE = 0x000306A9;
  static final int COMET_LAKE_L_0 = 0x000A0660;
  static final int COMET_LAKE_L_1 = 0x000A0661;
  static final int ALDER_LAKE = 0x00090672;
  static final int ALDER_LAKE_L = 0x000906A3;
  static final int ICE_LAKE_X = 0x000606A6;
  static final int SAPPHIRE_RAPIDS = 0x000806F8;
  static final int BONNELL = 0x000106C2;
  static final int PENTIUM = 0x00000543; // family 5
  static final int MILAN = 0x00A00F11; // AMD family 0x19

  static Assessment check(SecurityIssue issue, PolicyFixture p, Verdict expected, String... inReason) {
    return check(issue, p.build(), expected, inReason);
  }

  static Assessment check(SecurityIssue issue, CpuPolicy p, Verdict expected, String... inReason) {
    Assessment a = SecurityRules.assess(issue, GuestSecurity.of(p));
    assertEquals(expected, a.verdict(), a.reason());
    for (String s : inReason) {
      assertTrue(a.reason().contains(s), "reason \"" + a.reason() + "\" lacks \"" + s + "\"");
    }
    return a;
  }

  static CpuPolicy sample(Model m, int xenMinor, Variation... v) {
    Set<Variation> vs = v.length == 0 ? Set.of() : EnumSet.of(v[0], v);
    return CpuPolicy.of(CpuidProfiles.cpuid(m, true, 4, xenMinor, 2, vs), CpuidProfiles.msr(m, 4, xenMinor, vs));
  }

  @Nested
  class Unknowns {
    @Test
    void noCpuidPolicyIsUnknownForEveryIssue() {
      GuestSecurity g = GuestSecurity.of(CpuPolicy.NONE);
      for (SecurityIssue i : SecurityIssue.values()) {
        assertEquals(new Assessment(UNKNOWN, "no CPUID policy in the stream (v2 stream or unreadable)"),
            g.assessment(i), i.name());
      }
    }

    @Test
    void msrOnlyPolicyIsUnknownForEveryIssue() {
      GuestSecurity g = GuestSecurity.of(CpuPolicy.builder().msr(CpuPolicy.ARCH_CAPABILITIES, 1L << 5).build());
      for (SecurityIssue i : SecurityIssue.values()) {
        assertEquals(UNKNOWN, g.assessment(i).verdict(), i.name());
      }
    }

    @Test
    void missingVendorIsUnknownForEveryIssue() {
      CpuPolicy p = intel(CASCADE_LAKE, "md_clear", "mds_no").dropLeaf(0, CpuPolicy.NO_SUBLEAF).build();
      for (SecurityIssue i : SecurityIssue.values()) {
        check(i, p, UNKNOWN, "vendor unknown");
      }
    }

    @Test
    void missingSignatureIsUnknownWhereTheModelDecides() {
      PolicyFixture p = intel(SKYLAKE, "rdrand").dropLeaf(1, CpuPolicy.NO_SUBLEAF);
      check(SecurityIssue.SRBDS, p, UNKNOWN, "family/model unknown");
      check(SecurityIssue.GDS, p, UNKNOWN, "GDS_NO clear", "family/model unknown");
      // ...but not where a bit decides first.
      check(SecurityIssue.GDS, intel(SKYLAKE, "gds_no").dropLeaf(1, CpuPolicy.NO_SUBLEAF), NOT_AFFECTED);
    }
  }

  @Nested
  class Mds {
    @Test
    void amdIsNotAffected() {
      check(SecurityIssue.MDS, amd(MILAN), NOT_AFFECTED, "AMD");
    }

    @Test
    void mdsNoIsNotAffected() {
      check(SecurityIssue.MDS, intel(CASCADE_LAKE, "mds_no"), NOT_AFFECTED, "MDS_NO set");
    }

    @Test
    void mdClearIsMitigation() {
      Assessment a = check(SecurityIssue.MDS, intel(SKYLAKE, "md_clear"), MITIGATION_AVAILABLE);
      assertEquals("Intel; MDS_NO clear; MD_CLEAR set: VERW flushes the buffers", a.reason());
    }

    @Test
    void neitherIsExposed() {
      check(SecurityIssue.MDS, intel(SKYLAKE), EXPOSED, "MDS_NO clear", "MD_CLEAR clear");
    }

    @Test
    void unknownMdsNoIsUnknownEvenWithMdClear() {
      check(SecurityIssue.MDS, intel(SKYLAKE, "md_clear").noArchCapsMsr(), UNKNOWN,
          "MDS_NO unknown", "MSR 0x10a is not in the policy");
    }

    @Test
    void unknownMdClearAfterMdsNoClearIsUnknown() {
      // Leaf 7:0 missing: ARCH_CAPS (CPUID) unknown too, but the MSR is there, so MDS_NO is known.
      check(SecurityIssue.MDS, intel(SKYLAKE).dropLeaf(7, 0), UNKNOWN, "MDS_NO clear", "MD_CLEAR unknown",
          "CPUID leaf 0x7:0");
    }

    @Test
    void xen414GuestWithoutArchCapsSeesNoMdsNo() {
      // The kernel cannot read MDS_NO (ARCH_CAPS hidden), so it relies on VERW.
      check(SecurityIssue.MDS, sample(Model.INTEL_CASCADE_LAKE, 14), MITIGATION_AVAILABLE, "MDS_NO clear");
      check(SecurityIssue.MDS, sample(Model.INTEL_CASCADE_LAKE, 14, Variation.MD_CLEAR_MISSING), EXPOSED);
      check(SecurityIssue.MDS, sample(Model.INTEL_CASCADE_LAKE, 17), NOT_AFFECTED, "MDS_NO set");
    }
  }

  @Nested
  class Taa {
    @Test
    void amdIsNotAffected() {
      check(SecurityIssue.TAA, amd(MILAN, "rtm"), NOT_AFFECTED, "AMD");
    }

    @Test
    void noTsxIsNotAffected() {
      check(SecurityIssue.TAA, intel(SKYLAKE), NOT_AFFECTED, "RTM clear", "HLE clear");
    }

    @Test
    void taaNoIsNotAffected() {
      check(SecurityIssue.TAA, intel(CASCADE_LAKE, "rtm", "taa_no"), NOT_AFFECTED, "RTM set", "TAA_NO set");
    }

    @Test
    void hleAloneCountsAsTsx() {
      check(SecurityIssue.TAA, intel(SKYLAKE, "hle", "md_clear"), MITIGATION_AVAILABLE, "HLE set");
    }

    @Test
    void mdClearIsMitigation() {
      check(SecurityIssue.TAA, sample(Model.INTEL_CASCADE_LAKE, 17, Variation.RTM_EXPOSED, Variation.TAA_NO_MISSING),
          MITIGATION_AVAILABLE, "RTM set", "TAA_NO clear", "MD_CLEAR set");
    }

    @Test
    void tsxWithoutMdClearIsExposed() {
      check(SecurityIssue.TAA, sample(Model.INTEL_CASCADE_LAKE, 17, Variation.RTM_EXPOSED,
          Variation.TAA_NO_MISSING, Variation.MD_CLEAR_MISSING), EXPOSED, "RTM set", "MD_CLEAR clear");
    }

    @Test
    void unknownTsxDoesNotMatterWhenTaaNoIsSet() {
      // Leaf 7:0 missing: RTM and HLE unknown, but TAA_NO (MSR) set decides either way.
      check(SecurityIssue.TAA, intel(CASCADE_LAKE, "taa_no").dropLeaf(7, 0), NOT_AFFECTED,
          "RTM unknown", "HLE unknown", "TAA_NO set",
          "the same whichever way");
    }

    @Test
    void unknownTsxMattersWhenTaaNoIsClear() {
      check(SecurityIssue.TAA, intel(SKYLAKE).dropLeaf(7, 0), UNKNOWN, "RTM unknown");
    }
  }

  @Nested
  class Ssb {
    @Test
    void intelSsbNoIsNotAffected() {
      check(SecurityIssue.SSB, intel(SAPPHIRE_RAPIDS, "intel_ssb_no"), NOT_AFFECTED, "INTEL_SSB_NO set");
    }

    @Test
    void amdSsbNoIsNotAffected() {
      check(SecurityIssue.SSB, amd(MILAN, "ssb_no"), NOT_AFFECTED, "SSB_NO set");
    }

    @Test
    void ssbdIsMitigation() {
      check(SecurityIssue.SSB, intel(CASCADE_LAKE, "ssbd"), MITIGATION_AVAILABLE, "SSBD set");
      check(SecurityIssue.SSB, amd(MILAN, "virt_ssbd"), MITIGATION_AVAILABLE, "VIRT_SSBD set");
      check(SecurityIssue.SSB, sample(Model.AMD_MILAN, 17), MITIGATION_AVAILABLE, "AMD_SSBD set");
    }

    @Test
    void noControlIsExposed() {
      check(SecurityIssue.SSB, amd(MILAN), EXPOSED, "AMD_SSBD clear", "VIRT_SSBD clear");
    }

    @Test
    void unknownIntelSsbNoDoesNotMatterWhenSsbNoIsSet() {
      check(SecurityIssue.SSB, intel(SKYLAKE, "ssb_no").noArchCapsMsr(), NOT_AFFECTED,
          "INTEL_SSB_NO unknown", "SSB_NO set",
          "the same whichever way");
    }

    @Test
    void unknownIntelSsbNoMattersOtherwise() {
      check(SecurityIssue.SSB, intel(SKYLAKE, "ssbd").noArchCapsMsr(), UNKNOWN, "INTEL_SSB_NO unknown");
    }
  }

  @Nested
  class SpectreV2 {
    @Test
    void ibrsbIsMitigation() {
      check(SecurityIssue.SPECTRE_V2, sample(Model.INTEL_CASCADE_LAKE, 17), MITIGATION_AVAILABLE, "IBRSB set");
    }

    @Test
    void amdIbpbIsMitigation() {
      check(SecurityIssue.SPECTRE_V2, amd(MILAN, "ibpb"), MITIGATION_AVAILABLE, "IBPB set");
    }

    @Test
    void eibrsAloneIsMitigation() {
      check(SecurityIssue.SPECTRE_V2, intel(CASCADE_LAKE, "eibrs"), MITIGATION_AVAILABLE, "EIBRS set");
    }

    @Test
    void noControlIsExposed() {
      check(SecurityIssue.SPECTRE_V2, intel(SKYLAKE), EXPOSED, "IBRSB clear", "EIBRS clear");
      check(SecurityIssue.SPECTRE_V2, amd(MILAN), EXPOSED, "AUTO_IBRS clear");
    }

    @Test
    void inOrderCpusAreNotAffected() {
      check(SecurityIssue.SPECTRE_V2, intel(PENTIUM), NOT_AFFECTED, "family 5");
      check(SecurityIssue.SPECTRE_V2, intel(BONNELL), NOT_AFFECTED, "ATOM_BONNELL");
    }

    @Test
    void unknownEibrsMattersOnlyWithoutOtherControls() {
      check(SecurityIssue.SPECTRE_V2, intel(SKYLAKE).noArchCapsMsr(), UNKNOWN, "EIBRS unknown");
      check(SecurityIssue.SPECTRE_V2, intel(SKYLAKE, "ibrsb").noArchCapsMsr(), MITIGATION_AVAILABLE);
    }
  }

  @Nested
  class Srbds {
    @Test
    void amdIsNotAffected() {
      check(SecurityIssue.SRBDS, amd(MILAN, "rdrand"), NOT_AFFECTED, "AMD");
    }

    @Test
    void unlistedModelIsNotAffected() {
      check(SecurityIssue.SRBDS, sample(Model.INTEL_CASCADE_LAKE, 17), NOT_AFFECTED,
          "model 0x55 stepping 7 not in");
    }

    @Test
    void listedModelWithRdrandIsExposed() {
      check(SecurityIssue.SRBDS, intel(SKYLAKE, "rdrand", "md_clear"), EXPOSED, "(SKYLAKE)", "RDRAND set",
          "host's microcode");
    }

    @Test
    void noRdrandNorRdseedIsNotAffected() {
      check(SecurityIssue.SRBDS, intel(SKYLAKE), NOT_AFFECTED, "RDRAND clear", "RDSEED clear");
    }

    @Test
    void mdsNoPartWithTsxHiddenIsNotAffectedOnlyWhenMmioImmune() {
      check(SecurityIssue.SRBDS, intel(COFFEE_LAKE_R, "rdseed", "mds_no", "fbsdp_no", "psdp_no", "sbdr_ssdp_no"),
          NOT_AFFECTED, "TSX disabled");
      check(SecurityIssue.SRBDS, intel(COFFEE_LAKE_R, "rdseed", "mds_no"), EXPOSED, "FBSDP_NO clear");
      check(SecurityIssue.SRBDS, intel(COFFEE_LAKE_R, "rdseed", "mds_no", "rtm"), EXPOSED, "RTM set");
      // Ivy Bridge is not MMIO-affected: MDS_NO with TSX hidden suffices.
      check(SecurityIssue.SRBDS, intel(IVY_BRIDGE, "rdrand", "mds_no"), NOT_AFFECTED, "(IVYBRIDGE)");
    }

    @Test
    void cometLakeStepping0MatchesTheRowWithoutMmioSbds() {
      check(SecurityIssue.SRBDS, intel(COMET_LAKE_L_0, "rdrand"), NOT_AFFECTED, "not in");
      check(SecurityIssue.SRBDS, intel(COMET_LAKE_L_1, "rdrand"), EXPOSED, "(COMETLAKE_L)");
    }

    @Test
    void unknownRdseedMattersOnlyWithoutRdrand() {
      check(SecurityIssue.SRBDS, intel(SKYLAKE, "rdrand").dropLeaf(7, 0), EXPOSED);
      check(SecurityIssue.SRBDS, intel(SKYLAKE).dropLeaf(7, 0), UNKNOWN, "RDSEED unknown");
    }
  }

  @Nested
  class Gds {
    @Test
    void gdsNoIsNotAffected() {
      check(SecurityIssue.GDS, sample(Model.INTEL_SAPPHIRE_RAPIDS, 17), NOT_AFFECTED, "GDS_NO set");
    }

    @Test
    void unlistedModelIsNotAffected() {
      check(SecurityIssue.GDS, intel(ALDER_LAKE, "avx"), NOT_AFFECTED, "not in");
      check(SecurityIssue.GDS, intel(COMET_LAKE_L_0, "avx"), NOT_AFFECTED, "not in");
      check(SecurityIssue.GDS, amd(MILAN, "avx"), NOT_AFFECTED, "AMD");
    }

    @Test
    void listedModelWithAvxAndNoControlIsExposed() {
      check(SecurityIssue.GDS, sample(Model.INTEL_CASCADE_LAKE, 17), EXPOSED, "(SKYLAKE_X)", "AVX set",
          "GDS_CTRL clear");
    }

    @Test
    void hiddenAvxIsNotAffected() {
      check(SecurityIssue.GDS, intel(CASCADE_LAKE, "gds_ctrl"), NOT_AFFECTED, "AVX clear");
    }

    @Test
    void gdsCtrlIsMitigation() {
      check(SecurityIssue.GDS, intel(ICE_LAKE_X, "avx", "gds_ctrl"), MITIGATION_AVAILABLE, "GDS_CTRL set");
    }

    @Test
    void unknownGdsNoIsUnknown() {
      check(SecurityIssue.GDS, intel(CASCADE_LAKE, "avx").noArchCapsMsr(), UNKNOWN, "GDS_NO unknown");
    }
  }

  @Nested
  class Rfds {
    @Test
    void amdIsNotAffected() {
      check(SecurityIssue.RFDS, amd(MILAN), NOT_AFFECTED, "AMD");
    }

    @Test
    void rfdsNoIsNotAffected() {
      check(SecurityIssue.RFDS, intel(ALDER_LAKE, "rfds_no", "rfds_clear"), NOT_AFFECTED, "RFDS_NO set");
    }

    @Test
    void rfdsClearIsMitigation() {
      check(SecurityIssue.RFDS, intel(ALDER_LAKE, "rfds_clear"), MITIGATION_AVAILABLE, "RFDS_CLEAR set");
      // A VMM sets RFDS_CLEAR on unlisted hosts when the guest may migrate to an affected one.
      check(SecurityIssue.RFDS, intel(CASCADE_LAKE, "rfds_clear"), MITIGATION_AVAILABLE);
    }

    @Test
    void listedAtomWithoutRfdsClearIsExposed() {
      check(SecurityIssue.RFDS, intel(ALDER_LAKE_L), EXPOSED, "(ALDERLAKE_L)", "RFDS_CLEAR clear");
    }

    @Test
    void hybridPartsAreListedForTheirAtomCoresOnly() {
      // Linux's ALDERLAKE rows: RFDS for the Atom core type (CPUID 0x1A), nothing for the others.
      check(SecurityIssue.RFDS, intel(ALDER_LAKE).coreType(0x20), EXPOSED, "(ALDERLAKE Atom core)");
      check(SecurityIssue.RFDS, intel(ALDER_LAKE).coreType(0x40), NOT_AFFECTED, "not in");
      // A hybrid part matches every core type (x86_match_vendor_cpu_type).
      check(SecurityIssue.RFDS, intel(ALDER_LAKE, "hybrid").coreType(0x40), EXPOSED, "(ALDERLAKE Atom core)");
      check(SecurityIssue.RFDS, intel(ALDER_LAKE, "hybrid"), EXPOSED, "(ALDERLAKE Atom core)");
      // Past the max leaf the CPU answers zeros: no core type, not the Atom row.
      check(SecurityIssue.RFDS, intel(ALDER_LAKE), NOT_AFFECTED, "not in");
      check(SecurityIssue.RFDS, intel(ALDER_LAKE).coreType(0x20).dropLeaf(0x1A, CpuPolicy.NO_SUBLEAF), UNKNOWN,
          "core type unknown");
    }

    @Test
    void unlistedModelIsNotAffected() {
      check(SecurityIssue.RFDS, sample(Model.INTEL_CASCADE_LAKE, 17), NOT_AFFECTED, "not in");
    }

    @Test
    void unknownRfdsBitsAreUnknown() {
      check(SecurityIssue.RFDS, intel(ALDER_LAKE).noArchCapsMsr(), UNKNOWN, "RFDS_NO unknown");
    }
  }

  @Nested
  class Its {
    @Test
    void cascadeLakeWithoutItsNoIsExposed() {
      check(SecurityIssue.ITS, sample(Model.INTEL_CASCADE_LAKE, 17), EXPOSED, "ITS_NO clear", "(SKYLAKE_X)");
    }

    @Test
    void itsNoIsNotAffected() {
      check(SecurityIssue.ITS, sample(Model.INTEL_CASCADE_LAKE, 17, Variation.ITS_NO), NOT_AFFECTED, "ITS_NO set");
    }

    @Test
    void bhiCtrlIsNotAffected() {
      check(SecurityIssue.ITS, sample(Model.INTEL_SAPPHIRE_RAPIDS, 17), NOT_AFFECTED, "BHI_CTRL set");
    }

    @Test
    void nativeOnlyPartIsMitigatedByTheGuestKernel() {
      check(SecurityIssue.ITS, intel(ICE_LAKE_X), MITIGATION_AVAILABLE, "(ICELAKE_X)", "ITS_NATIVE_ONLY");
    }

    @Test
    void earlySkylakeXSteppingsAreNotAffected() {
      check(SecurityIssue.ITS, intel(SKYLAKE_X_4), NOT_AFFECTED, "stepping 4 not in");
    }

    @Test
    void amdIsNotAffected() {
      check(SecurityIssue.ITS, sample(Model.AMD_MILAN, 17), NOT_AFFECTED, "AMD");
    }

    @Test
    void unknownItsNoIsUnknown() {
      check(SecurityIssue.ITS, intel(CASCADE_LAKE).noArchCapsMsr(), UNKNOWN, "ITS_NO unknown");
    }

    @Test
    void xen414GuestCannotSeeItsNo() {
      // ARCH_CAPS hidden from the guest: ITS_NO reads as 0, so the model decides.
      check(SecurityIssue.ITS, sample(Model.INTEL_CASCADE_LAKE, 14), EXPOSED, "ITS_NO clear");
    }
  }
}
