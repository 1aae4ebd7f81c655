package xenaudit.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.Test;
import xenaudit.format.CpuFeature;
import xenaudit.sample.CpuidProfiles;
import xenaudit.sample.CpuidProfiles.Model;

class CpuPolicyTest {
  private static final long NO = CpuPolicy.NO_SUBLEAF;
  private static final int MD_CLEAR_EDX = 1 << 10;
  private static final int ARCH_CAPS_EDX = 1 << 29;

  private static CpuFeature f(String name) {
    return Features.byName(name);
  }

  /** Intel leaf 0 with the given max basic leaf. */
  private static CpuPolicy.Builder intel(int maxLeaf) {
    return CpuPolicy.builder().leaf(0, NO, maxLeaf, 0x756e6547, 0x6c65746e, 0x49656e69);
  }

  @Test
  void cpuidBitIsReadWhenTheLeafIsInThePolicy() {
    CpuPolicy set = intel(0xD).leaf(7, 0, 0, 0, 0, MD_CLEAR_EDX).build();
    CpuPolicy clear = intel(0xD).leaf(7, 0, 0, 0, 0, ~MD_CLEAR_EDX).build();
    assertEquals(Boolean.TRUE, set.present(f("md_clear")));
    assertEquals(Boolean.FALSE, clear.present(f("md_clear")));
    assertEquals(Boolean.TRUE, clear.present(f("arch_caps")), "bit 29 of the same register");
  }

  @Test
  void basicLeafPastLeaf0EaxReadsAsZero() {
    CpuPolicy p = intel(6).build(); // leaf 7 lies past the max basic leaf
    assertEquals(Boolean.FALSE, p.present(f("md_clear")));
    assertEquals(Boolean.FALSE, p.present(f("rtm")));
    assertEquals(Boolean.FALSE, p.present(f("intel_psfd")));
    assertNull(p.present(f("avx")), "leaf 1 is inside the range but missing");
  }

  @Test
  void extendedLeafPast0x80000000EaxReadsAsZero() {
    CpuPolicy p = intel(0xD).leaf(0x80000000L, NO, 0x80000007, 0, 0, 0).build();
    assertEquals(Boolean.FALSE, p.present(f("ibpb")), "0x80000008 past the extended max");
    assertEquals(Boolean.FALSE, p.present(f("auto_ibrs")), "0x80000021 past the extended max");
    assertNull(p.present(f("itsc")), "0x80000007 inside the range but missing");
  }

  @Test
  void leaf7SubleafPast7_0EaxReadsAsZero() {
    CpuPolicy max0 = intel(0xD).leaf(7, 0, 0, 0, 0, 0).build();
    assertEquals(Boolean.FALSE, max0.present(f("intel_psfd")), "7:2 past 7:0 eax = 0");
    assertEquals(Boolean.FALSE, max0.present(f("bhi_ctrl")));
    CpuPolicy max2 = intel(0xD).leaf(7, 0, 2, 0, 0, 0).build();
    assertNull(max2.present(f("bhi_ctrl")), "7:2 inside the range but missing");
    CpuPolicy with72 = intel(0xD).leaf(7, 0, 2, 0, 0, 0).leaf(7, 2, 0, 0, 0, 1 << 4).build();
    assertEquals(Boolean.TRUE, with72.present(f("bhi_ctrl")));
  }

  @Test
  void leafInsideTheRangeButMissingIsUnknown() {
    CpuPolicy p = intel(0xD).build();
    assertNull(p.present(f("md_clear")));
    CpuPolicy noLeaf0 = CpuPolicy.builder().leaf(1, NO, 0x00050657, 0, 0, 0).build();
    assertNull(noLeaf0.present(f("md_clear")), "the bound itself is unknown");
    assertNull(noLeaf0.present(f("ibpb")));
  }

  @Test
  void msrFeaturesReadArchCapsWords16And17() {
    long value = 1L << 5 | 1L << 62; // MDS_NO (word 16 bit 5), ITS_NO (word 17 bit 30)
    CpuPolicy p = intel(0xD).msr(CpuPolicy.ARCH_CAPABILITIES, value).build();
    assertEquals(62, f("its_no").msrBit());
    assertEquals(Boolean.TRUE, p.present(f("mds_no")));
    assertEquals(Boolean.TRUE, p.present(f("its_no")));
    assertEquals(Boolean.FALSE, p.present(f("taa_no")));
    assertEquals(Boolean.FALSE, p.present(f("rfds_no")));
  }

  @Test
  void msrFeaturesAreUnknownWithoutTheMsr() {
    CpuPolicy p = intel(0xD).leaf(7, 0, 0, 0, 0, ARCH_CAPS_EDX).msr(CpuPolicy.PLATFORM_INFO, 0).build();
    assertNull(p.present(f("mds_no")));
    assertNull(p.present(f("its_no")));
  }

  @Test
  void noneKnowsNoFeature() {
    for (CpuFeature feature : Features.all()) {
      assertNull(CpuPolicy.NONE.present(feature), feature.name());
      assertNull(CpuPolicy.NONE.seen(feature), feature.name());
    }
    assertNull(CpuPolicy.NONE.vendor());
    assertNull(CpuPolicy.NONE.family());
    assertFalse(CpuPolicy.NONE.hasCpuid());
  }

  @Test
  void signatureDecoding() {
    CpuPolicy cascade = CpuPolicy.builder().leaf(1, NO, 0x00050657, 0, 0, 0).build();
    assertEquals(6L, cascade.family());
    assertEquals(0x55L, cascade.model());
    assertEquals(7L, cascade.stepping());

    CpuPolicy milan = CpuPolicy.builder().leaf(1, NO, 0x00A00F11, 0, 0, 0).build();
    assertEquals(0x19L, milan.family());
    assertEquals(1L, milan.model());
    assertEquals(1L, milan.stepping());

    CpuPolicy sapphire = CpuPolicy.builder().leaf(1, NO, 0x000806F8, 0, 0, 0).build();
    assertEquals(6L, sapphire.family());
    assertEquals(0x8FL, sapphire.model());
    assertEquals(8L, sapphire.stepping());

    // Below family 6 the extended model is ignored.
    CpuPolicy pentium = CpuPolicy.builder().leaf(1, NO, 0x000F0543, 0, 0, 0).build();
    assertEquals(5L, pentium.family());
    assertEquals(4L, pentium.model());
    assertEquals(3L, pentium.stepping());

    assertNull(intel(0xD).build().model(), "no leaf 1");
  }

  @Test
  void vendorFromLeaf0() {
    assertEquals(Vendor.INTEL, intel(0xD).build().vendor());
    CpuPolicy amd = CpuPolicy.builder().leaf(0, NO, 0xD, 0x68747541, 0x444d4163, 0x69746e65).build();
    assertEquals(Vendor.AMD, amd.vendor());
    CpuPolicy hygon = CpuPolicy.builder().leaf(0, NO, 0xD, 0x6f677948, 0x656e6975, 0x6e65476e).build();
    assertEquals(Vendor.HYGON, hygon.vendor());
    CpuPolicy other = CpuPolicy.builder().leaf(0, NO, 0xD, 0x746e6543, 0x736c7561, 0x48727561).build();
    assertEquals(Vendor.OTHER, other.vendor());
    assertNull(CpuPolicy.builder().leaf(1, NO, 0x00050657, 0, 0, 0).build().vendor());
  }

  @Test
  void seenReadsArchCapsBitsAsZeroWhenCpuidHidesTheMsr() {
    CpuPolicy noMsr = intel(0xD).leaf(7, 0, 0, 0, 0, 0).build();
    assertNull(noMsr.present(f("mds_no")));
    assertEquals(Boolean.FALSE, noMsr.seen(f("mds_no")));
    assertEquals(Boolean.FALSE, noMsr.seen(f("its_no")));

    // ARCH_CAPS past the max basic leaf: likewise zero.
    assertEquals(Boolean.FALSE, intel(6).build().seen(f("mds_no")));
  }

  @Test
  void seenLeavesArchCapsBitsUnknownWhenCpuidOffersTheMsrButThePolicyLacksIt() {
    CpuPolicy p = intel(0xD).leaf(7, 0, 0, 0, 0, ARCH_CAPS_EDX).build();
    assertNull(p.seen(f("mds_no")));
    CpuPolicy noLeaf7 = intel(0xD).build();
    assertNull(noLeaf7.seen(f("mds_no")), "ARCH_CAPS itself unknown");
  }

  @Test
  void seenIgnoresAnArchCapsMsrTheGuestCannotRead() {
    CpuPolicy hidden = intel(0xD).leaf(7, 0, 0, 0, 0, 0).msr(CpuPolicy.ARCH_CAPABILITIES, 1L << 5).build();
    assertEquals(Boolean.TRUE, hidden.present(f("mds_no")));
    assertEquals(Boolean.FALSE, hidden.seen(f("mds_no")), "rdmsr would #GP, Linux does not read it");
    CpuPolicy offered = intel(0xD).leaf(7, 0, 0, 0, 0, ARCH_CAPS_EDX).msr(CpuPolicy.ARCH_CAPABILITIES, 1L << 5).build();
    assertEquals(Boolean.TRUE, offered.seen(f("mds_no")));
    assertEquals(Boolean.FALSE, offered.seen(f("taa_no")));
  }

  @Test
  void seenEqualsPresentForCpuidFeatures() {
    CpuPolicy p = intel(0xD).leaf(7, 0, 0, 0, 0, MD_CLEAR_EDX).build();
    for (CpuFeature feature : Features.all()) {
      if (!feature.msr()) {
        assertEquals(p.present(feature), p.seen(feature), feature.name());
      }
    }
  }

  @Test
  void sampleXen414PolicyHasNoArchCapsMsrAndHidesIt() {
    Set<CpuidProfiles.Variation> none = Set.of();
    CpuPolicy p = CpuPolicy.of(CpuidProfiles.cpuid(Model.INTEL_CASCADE_LAKE, true, 4, 14, 2, none),
        CpuidProfiles.msr(Model.INTEL_CASCADE_LAKE, 4, 14, none));
    assertTrue(p.hasMsrs());
    assertNull(p.msr(CpuPolicy.ARCH_CAPABILITIES));
    assertEquals(Boolean.FALSE, p.present(f("arch_caps")));
    assertNull(p.present(f("mds_no")));
    assertEquals(Boolean.FALSE, p.seen(f("mds_no")));
    assertEquals(Boolean.TRUE, p.present(f("md_clear")));
    assertEquals(Vendor.INTEL, p.vendor());
    assertEquals(0x55L, p.model());
  }

  @Test
  void sampleXen417PolicyCarriesArchCaps() {
    Set<CpuidProfiles.Variation> v = Set.of(CpuidProfiles.Variation.ITS_NO);
    CpuPolicy p = CpuPolicy.of(CpuidProfiles.cpuid(Model.INTEL_CASCADE_LAKE, true, 4, 17, 2, v),
        CpuidProfiles.msr(Model.INTEL_CASCADE_LAKE, 4, 17, v));
    assertEquals(Boolean.TRUE, p.seen(f("arch_caps")));
    assertEquals(Boolean.TRUE, p.seen(f("mds_no")));
    assertEquals(Boolean.TRUE, p.seen(f("its_no")));
    assertEquals(Boolean.FALSE, p.seen(f("gds_no")));
  }
}
