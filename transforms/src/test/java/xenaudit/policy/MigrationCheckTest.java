package xenaudit.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static xenaudit.policy.PolicyTextTest.guest;

import java.util.List;
import org.junit.jupiter.api.Test;
import xenaudit.format.CpuidLeaf;
import xenaudit.format.GuestType;
import xenaudit.policy.MigrationCheck.Blocker;
import xenaudit.policy.MigrationCheck.Result;
import xenaudit.sample.CpuidProfiles.Model;
import xenaudit.sample.CpuidProfiles.Variation;

class MigrationCheckTest {
  private static final List<String> CASCADE_LAKE_AVX512 =
      List.of("avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl", "avx512_vnni");

  @Test
  void aGuestIsCompatibleWithItself() {
    for (Model m : Model.values()) {
      CpuPolicy g = guest(m, true, Variation.CPUID_FAULTING, Variation.ITS_NO);
      assertEquals(new Result(true, List.of(), List.of()), MigrationCheck.check(g, g), m.name());
    }
  }

  @Test
  void namesExactlyTheFeaturesTheTargetLacks() {
    Result r = MigrationCheck.check(
        guest(Model.INTEL_CASCADE_LAKE, true), guest(Model.INTEL_CASCADE_LAKE, true, Variation.AVX512_MASKED));

    assertFalse(r.compatible());
    assertEquals(CASCADE_LAKE_AVX512, r.blockers().stream().map(Blocker::feature).toList());
    assertEquals(new Blocker("feature", "avx512f", 7L, 0L, "ebx", 16L, null, "avx512f present in guest, absent from target"),
        r.blockers().get(0));
    assertEquals(new Blocker("feature", "avx512_vnni", 7L, 0L, "ecx", 11L, null,
        "avx512_vnni present in guest, absent from target"), r.blockers().get(5));
    assertEquals(List.of(), r.nonBlockingFeatures());

    // The other way round nothing is missing.
    assertTrue(MigrationCheck.check(guest(Model.INTEL_CASCADE_LAKE, true, Variation.AVX512_MASKED),
        guest(Model.INTEL_CASCADE_LAKE, true)).compatible());
  }

  @Test
  void aLeafWithoutSubleavesHasANullSubleaf() {
    Result r = MigrationCheck.check(
        guest(Model.INTEL_CASCADE_LAKE, true), guest(Model.INTEL_CASCADE_LAKE, true, Variation.PAGE1GB_MASKED));

    assertEquals(List.of(new Blocker("feature", "page1gb", 0x80000001L, null, "edx", 26L, null,
        "page1gb present in guest, absent from target")), r.blockers());
  }

  @Test
  void accumulatedFeaturesDoNotBlock() {
    Result r = MigrationCheck.check(
        guest(Model.INTEL_CASCADE_LAKE, true), guest(Model.INTEL_CASCADE_LAKE, true, Variation.MD_CLEAR_MISSING));

    assertTrue(r.compatible());
    assertEquals(List.of(), r.blockers());
    assertEquals(List.of("md_clear"), r.nonBlockingFeatures());
  }

  @Test
  void msrFeaturesAreReportedByMsrAndBit() {
    CpuPolicy plain = guest(Model.INTEL_CASCADE_LAKE, true);
    long fbClear = 1L << Features.byName("fb_clear").msrBit();
    CpuPolicy guest = withMsr(guest(Model.INTEL_CASCADE_LAKE, true, Variation.ITS_NO), 0x10A,
        plain.msr(0x10A) | 1L << 62 | fbClear);

    Result r = MigrationCheck.check(guest, plain);

    assertEquals(List.of(new Blocker("feature", "its_no", null, null, "bits63:32", 62L, 0x10AL,
        "its_no present in guest, absent from target")), r.blockers());
    assertEquals(List.of("fb_clear"), r.nonBlockingFeatures());
  }

  @Test
  void aTargetWithoutArchCapsOffersNoneOfItsBits() {
    CpuPolicy guest = guest(Model.INTEL_CASCADE_LAKE, true);
    CpuPolicy target = CpuPolicy.of(guest.leaves(), List.of()); // a Xen 4.14-style target: no MSRs

    Result r = MigrationCheck.check(guest, target);

    assertEquals(List.of("rdcl_no", "eibrs", "skip_l1dfl", "mds_no", "if_pschange_mc_no", "tsx_ctrl", "taa_no"),
        r.blockers().stream().map(Blocker::feature).toList());
  }

  @Test
  void aLeafTheTargetTextLeftOutReadsAsZero() throws Exception {
    CpuPolicy guest = guest(Model.INTEL_CASCADE_LAKE, true);
    // Leaf 0x80000001 left out; the header now counts one leaf more than the block lists.
    String text = PolicyText.format("Domain 1", guest).replaceAll("(?m)^  80000001:ffffffff -> .*\n", "");
    CpuPolicy target = TargetPolicy.parse("d.txt", text).forGuest(GuestType.X86_HVM);

    Result r = MigrationCheck.check(guest, target);

    assertEquals(List.of("syscall", "nx", "page1gb", "rdtscp", "lm", "lahf_lm", "abm", "3dnowprefetch"),
        r.blockers().stream().map(Blocker::feature).toList());
  }

  @Test
  void aVendorChangeBlocks() {
    Result r = MigrationCheck.check(guest(Model.INTEL_CASCADE_LAKE, true), guest(Model.AMD_ROME, true));

    assertFalse(r.compatible());
    assertEquals(new Blocker("vendor", null, 0L, null, null, null, null, "guest GenuineIntel vs target AuthenticAMD"),
        r.blockers().get(0));
    assertEquals(1, r.blockers().stream().filter(b -> b.kind().equals("vendor")).count());
  }

  @Test
  void higherMaxLeavesBlock() {
    CpuPolicy target = guest(Model.INTEL_CASCADE_LAKE, true);
    CpuPolicy guest = withLeaf(target, 0, CpuPolicy.NO_SUBLEAF, 0, 0x14);

    Result r = MigrationCheck.check(guest, target);

    assertEquals(List.of(new Blocker("max_leaf", null, 0L, null, "eax", null, null,
        "leaf 0x0 eax: guest 0x14 > target 0xd")), r.blockers());
  }

  @Test
  void higherLeaf7AndExtendedMaximaBlock() {
    // Sapphire Rapids has leaf 7 subleaves 0..2, Cascade Lake only 0.
    Result r = MigrationCheck.check(guest(Model.INTEL_SAPPHIRE_RAPIDS, true), guest(Model.INTEL_CASCADE_LAKE, true));
    assertEquals(new Blocker("max_leaf", null, 7L, 0L, "eax", null, null, "leaf 0x7:0 eax: guest 0x2 > target 0x0"),
        r.blockers().get(0));
    assertEquals("feature", r.blockers().get(1).kind());

    // Milan's extended leaves run to 0x80000021, Rome's to 0x8000001f.
    Result amd = MigrationCheck.check(guest(Model.AMD_MILAN, true), guest(Model.AMD_ROME, true));
    assertEquals(new Blocker("max_leaf", null, 0x80000000L, null, "eax", null, null,
        "leaf 0x80000000 eax: guest 0x80000021 > target 0x8000001f"), amd.blockers().get(0));
  }

  @Test
  void eachPlatformInfoBitTheTargetLacksBlocks() {
    CpuPolicy target = guest(Model.INTEL_CASCADE_LAKE, true);
    CpuPolicy guest = withMsr(guest(Model.INTEL_CASCADE_LAKE, true, Variation.CPUID_FAULTING), 0xCE, 1L << 31 | 1L << 4);

    Result r = MigrationCheck.check(guest, target);

    assertEquals(List.of(
        new Blocker("msr", null, null, null, "bits31:0", 4L, 0xCEL, "PLATFORM_INFO bit 4 set in guest, clear in target"),
        new Blocker("msr", null, null, null, "bits31:0", 31L, 0xCEL,
            "PLATFORM_INFO bit 31 (CPUID faulting) set in guest, clear in target")), r.blockers());
    assertTrue(MigrationCheck.check(target, guest).compatible(), "a target may offer more");
  }

  @Test
  void blockersComeInKindOrder() {
    CpuPolicy guest = guest(Model.INTEL_SAPPHIRE_RAPIDS, true, Variation.CPUID_FAULTING);
    Result r = MigrationCheck.check(guest, guest(Model.AMD_ROME, true));

    List<String> kinds = r.blockers().stream().map(Blocker::kind).toList();
    assertEquals("vendor", kinds.get(0));
    assertEquals(List.of("max_leaf", "msr"), kinds.subList(1, 3));
    assertTrue(kinds.subList(3, kinds.size()).stream().allMatch("feature"::equals), kinds.toString());
    List<String> features = r.blockers().subList(3, kinds.size()).stream().map(Blocker::feature).toList();
    List<String> tableOrder = Features.all().stream().map(Features::name).filter(features::contains).toList();
    assertEquals(tableOrder, features);
  }

  @Test
  void guestsPassTheHostDumpsMaxPolicyUnlessTheyHaveMore() throws Exception {
    TargetPolicy host = TargetPolicy.parse("host-intel.txt", PolicyTextTest.resource("host-intel.txt"));
    for (Variation v : new Variation[] {Variation.AVX512_MASKED, Variation.RTM_EXPOSED, Variation.MD_CLEAR_MISSING,
        Variation.PAGE1GB_MASKED, Variation.CPUID_FAULTING}) {
      assertTrue(MigrationCheck.check(guest(Model.INTEL_CASCADE_LAKE, true, v), host.forGuest(GuestType.X86_HVM))
          .compatible(), v.name());
      assertTrue(MigrationCheck.check(guest(Model.INTEL_CASCADE_LAKE, false, v), host.forGuest(GuestType.X86_PV))
          .compatible(), v.name());
    }
    Result its = MigrationCheck.check(guest(Model.INTEL_CASCADE_LAKE, true, Variation.ITS_NO),
        host.forGuest(GuestType.X86_HVM));
    assertEquals(List.of("its_no"), its.blockers().stream().map(Blocker::feature).toList());
    // An HVM guest is not a PV guest: PV Max lacks HVM-only features.
    assertFalse(MigrationCheck.check(guest(Model.INTEL_CASCADE_LAKE, true), host.forGuest(GuestType.X86_PV))
        .compatible());
  }

  @Test
  void aGuestWithoutCpuidCannotBeChecked() {
    CpuPolicy msrOnly = CpuPolicy.builder().msr(0xCE, 0).build();
    assertThrows(IllegalArgumentException.class,
        () -> MigrationCheck.check(msrOnly, guest(Model.INTEL_CASCADE_LAKE, true)));
    assertThrows(IllegalArgumentException.class,
        () -> MigrationCheck.check(CpuPolicy.NONE, guest(Model.INTEL_CASCADE_LAKE, true)));
  }

  static CpuPolicy withMsr(CpuPolicy p, long index, long value) {
    CpuPolicy.Builder b = copy(p);
    b.msr(index, value);
    return b.build();
  }

  static CpuPolicy withLeaf(CpuPolicy p, long leaf, long subleaf, int register, int value) {
    int[] r = p.leaf(leaf, subleaf);
    r[register] = value;
    return copy(p).leaf(leaf, subleaf, r[0], r[1], r[2], r[3]).build();
  }

  static CpuPolicy.Builder copy(CpuPolicy p) {
    CpuPolicy.Builder b = CpuPolicy.builder();
    for (CpuidLeaf l : p.leaves()) {
      b.leaf(l.uLeaf(), l.uSubleaf(), l.eax(), l.ebx(), l.ecx(), l.edx());
    }
    p.msrs().forEach(b::msr);
    return b;
  }
}
