package xenaudit.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static xenaudit.policy.MigrationCheckTest.withMsr;
import static xenaudit.policy.PolicyTextTest.guest;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import xenaudit.format.CpuFeature;
import xenaudit.format.GuestType;
import xenaudit.policy.MigrationCheck.Blocker;
import xenaudit.policy.MigrationCheck.Result;
import xenaudit.policy.PoolBaseline.FeatureBaseline;
import xenaudit.sample.CpuidProfiles;
import xenaudit.sample.CpuidProfiles.Model;
import xenaudit.sample.CpuidProfiles.Variation;

class PoolBaselineTest {
  @Test
  void ordinaryFeaturesAreAndedAccumulatedOnesOred() {
    PoolBaseline pool = pool(
        guest(Model.INTEL_CASCADE_LAKE, true),
        guest(Model.INTEL_CASCADE_LAKE, true, Variation.MD_CLEAR_MISSING),
        guest(Model.INTEL_CASCADE_LAKE, true, Variation.RTM_EXPOSED));

    assertEquals(3, pool.guestCount());
    assertEquals(new FeatureBaseline("avx512f", true, 3), feature(pool, "avx512f"));
    assertEquals(new FeatureBaseline("rtm", false, 1), feature(pool, "rtm"));
    assertEquals(new FeatureBaseline("md_clear", true, 2), feature(pool, "md_clear"));
    assertEquals(new FeatureBaseline("sha", false, 0), feature(pool, "sha"));
    // Accumulated, but no guest has it.
    assertEquals(new FeatureBaseline("fb_clear", false, 0), feature(pool, "fb_clear"));

    CpuPolicy p = pool.policy();
    assertTrue(p.present(Features.byName("avx512f")));
    assertFalse(p.present(Features.byName("rtm")));
    assertTrue(p.present(Features.byName("md_clear")));
  }

  @Test
  void guestsWithoutAValueAreIgnored() {
    // Xen 4.14 serialised no ARCH_CAPS MSR: its bits are unknown for that guest.
    CpuPolicy old = policy(Model.INTEL_CASCADE_LAKE, 4, 14, EnumSet.noneOf(Variation.class));
    CpuPolicy recent = policy(Model.INTEL_CASCADE_LAKE, 4, 19, EnumSet.of(Variation.ITS_NO));

    PoolBaseline onlyOld = pool(old, old);
    assertEquals(new FeatureBaseline("its_no", null, 0), feature(onlyOld, "its_no"));
    assertEquals(new FeatureBaseline("fb_clear", null, 0), feature(onlyOld, "fb_clear"));
    assertNull(onlyOld.policy().msr(0x10A));

    PoolBaseline mixed = pool(old, recent);
    assertEquals(new FeatureBaseline("its_no", true, 1), feature(mixed, "its_no"));
    assertEquals(new FeatureBaseline("taa_no", true, 1), feature(mixed, "taa_no"));
    assertEquals(recent.msr(0x10A), mixed.policy().msr(0x10A));
  }

  @Test
  void anEmptyPoolKnowsNothing() {
    PoolBaseline pool = new PoolBaseline();
    pool.add(CpuPolicy.NONE);
    pool.add(CpuPolicy.builder().msr(0xCE, 0).build()); // no CPUID policy: not counted

    assertEquals(0, pool.guestCount());
    assertEquals(Features.count(), pool.features().size());
    assertTrue(pool.features().stream().allMatch(f -> f.present() == null && f.guestsWithFeature() == 0));
    assertSame(CpuPolicy.NONE, pool.policy());
  }

  @Test
  void featuresComeInTableOrder() {
    List<String> names = pool(guest(Model.AMD_MILAN, true)).features().stream().map(FeatureBaseline::feature).toList();
    assertEquals(Features.all().stream().map(Features::name).toList(), names);
  }

  @Test
  void maxLeavesAreTheMinimumAndLeavesPastThemAreDropped() {
    CpuPolicy milan = guest(Model.AMD_MILAN, true);
    CpuPolicy rome = guest(Model.AMD_ROME, true);
    CpuPolicy p = pool(milan, rome).policy();

    assertEquals(0x80000021L, milan.maxExtendedLeaf());
    assertEquals(0x8000001FL, p.maxExtendedLeaf());
    assertNull(p.leaf(0x80000021L, CpuPolicy.NO_SUBLEAF));
    assertTrue(MigrationCheck.check(rome, p).compatible());

    CpuPolicy intel = pool(guest(Model.INTEL_SAPPHIRE_RAPIDS, true), guest(Model.INTEL_CASCADE_LAKE, true)).policy();
    assertEquals(0L, intel.maxLeaf7Subleaf());
    assertNull(intel.leaf(7, 1));
    assertNull(intel.leaf(7, 2));
  }

  @Test
  void otherBitsAreAndedOverTheGuestsCarryingThem() {
    CpuPolicy faulting = guest(Model.INTEL_CASCADE_LAKE, true, Variation.CPUID_FAULTING);
    long unknown = 1L << firstUnknownArchCapsBit();
    long caps = faulting.msr(0x10A);
    CpuPolicy a = withMsr(faulting, 0x10A, caps | unknown);
    CpuPolicy b = withMsr(guest(Model.INTEL_CASCADE_LAKE, true), 0x10A, caps | unknown);
    CpuPolicy c = withMsr(guest(Model.INTEL_CASCADE_LAKE, true), 0x10A, caps);

    assertEquals(1L << 31, pool(a, a).policy().msr(0xCE));
    assertEquals(0L, pool(a, b).policy().msr(0xCE));
    assertEquals(caps | unknown, pool(a, b).policy().msr(0x10A));
    assertEquals(caps, pool(a, b, c).policy().msr(0x10A));

    // Leaf 1 ebx differs with the vCPU count (2 per vCPU in bits 23:16): AND, as for any non-feature bits.
    CpuPolicy four = guest(Model.INTEL_CASCADE_LAKE, true);
    CpuPolicy eight = policy(Model.INTEL_CASCADE_LAKE, 4, 19, EnumSet.noneOf(Variation.class));
    int and = four.leaf(1, CpuPolicy.NO_SUBLEAF)[1] & eight.leaf(1, CpuPolicy.NO_SUBLEAF)[1];
    assertEquals(and, pool(four, eight).policy().leaf(1, CpuPolicy.NO_SUBLEAF)[1]);
  }

  @Test
  void theVendorIsKeptWhenAllAgreeAndAMixedPoolMatchesNoGuest() {
    CpuPolicy intel = guest(Model.INTEL_CASCADE_LAKE, true);
    CpuPolicy amd = guest(Model.AMD_ROME, true);
    assertEquals(Vendor.INTEL, pool(intel, intel).policy().vendor());

    CpuPolicy mixed = pool(intel, amd).policy();
    assertEquals(Vendor.OTHER, mixed.vendor());
    for (CpuPolicy g : List.of(intel, amd)) {
      assertEquals("vendor", MigrationCheck.check(g, mixed).blockers().get(0).kind());
    }
  }

  @Test
  void addAndMergeInAnyOrderGiveTheSameBaseline() throws Exception {
    List<CpuPolicy> guests = new ArrayList<>();
    Variation[][] variations = {{}, {Variation.AVX512_MASKED}, {Variation.RTM_EXPOSED}, {Variation.MD_CLEAR_MISSING},
        {Variation.CPUID_FAULTING, Variation.ITS_NO}, {Variation.PAGE1GB_MASKED}};
    int vcpus = 1;
    for (Model m : new Model[] {Model.INTEL_CASCADE_LAKE, Model.INTEL_SAPPHIRE_RAPIDS}) {
      for (Variation[] v : variations) {
        EnumSet<Variation> set = EnumSet.noneOf(Variation.class);
        Collections.addAll(set, v);
        guests.add(CpuPolicy.of(CpuidProfiles.cpuid(m, vcpus % 2 == 0, 4, 19, vcpus++, set),
            CpuidProfiles.msr(m, 4, 19, set)));
      }
    }
    guests.add(policy(Model.INTEL_CASCADE_LAKE, 4, 14, EnumSet.of(Variation.RTM_EXPOSED)));
    guests.add(CpuPolicy.NONE);

    PoolBaseline reference = pool(guests.toArray(new CpuPolicy[0]));
    CpuPolicy expectedPolicy = reference.policy();
    List<FeatureBaseline> expectedFeatures = reference.features();
    assertEquals(guests.size() - 1, reference.guestCount());

    Random random = new Random(20240611);
    for (int round = 0; round < 20; round++) {
      List<CpuPolicy> shuffled = new ArrayList<>(guests);
      Collections.shuffle(shuffled, random);
      // Split into 1..4 partial accumulators, serialise them as a runner would, merge in random order.
      int parts = 1 + random.nextInt(4);
      List<PoolBaseline> partials = new ArrayList<>();
      for (int i = 0; i < parts; i++) {
        partials.add(new PoolBaseline());
      }
      for (CpuPolicy g : shuffled) {
        partials.get(random.nextInt(parts)).add(g);
      }
      List<PoolBaseline> travelled = new ArrayList<>();
      for (PoolBaseline p : partials) {
        travelled.add(roundTrip(p));
      }
      Collections.shuffle(travelled, random);
      PoolBaseline merged = travelled.get(0);
      for (PoolBaseline p : travelled.subList(1, travelled.size())) {
        assertSame(merged, merged.merge(p));
      }
      assertEquals(expectedPolicy, merged.policy(), "round " + round);
      assertEquals(expectedFeatures, merged.features(), "round " + round);
      assertEquals(reference.guestCount(), merged.guestCount());
    }
  }

  @Test
  void aGuestEqualToThePoolsAndPassesAndAnExtraFeatureBlocksByName() {
    PoolBaseline pool = pool(
        policy(Model.INTEL_CASCADE_LAKE, 2, true, Variation.AVX512_MASKED),
        policy(Model.INTEL_CASCADE_LAKE, 4, true, Variation.AVX512_MASKED, Variation.MD_CLEAR_MISSING),
        policy(Model.INTEL_CASCADE_LAKE, 8, true, Variation.AVX512_MASKED, Variation.RTM_EXPOSED));
    CpuPolicy baseline = pool.policy();

    assertTrue(MigrationCheck.check(baseline, baseline).compatible(), "the AND itself");
    for (int vcpus : new int[] {1, 2, 16}) {
      assertTrue(MigrationCheck.check(policy(Model.INTEL_CASCADE_LAKE, vcpus, true, Variation.AVX512_MASKED), baseline)
          .compatible());
    }
    Result rtm = MigrationCheck.check(
        policy(Model.INTEL_CASCADE_LAKE, 8, true, Variation.AVX512_MASKED, Variation.RTM_EXPOSED), baseline);
    assertEquals(List.of("rtm"), rtm.blockers().stream().map(Blocker::feature).toList());
    Result avx512 = MigrationCheck.check(policy(Model.INTEL_CASCADE_LAKE, 4, true), baseline);
    assertEquals(List.of("avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl", "avx512_vnni"),
        avx512.blockers().stream().map(Blocker::feature).toList());
  }

  @Test
  void theBaselineWritesOutAsATargetPolicy() throws Exception {
    PoolBaseline pool = pool(guest(Model.AMD_ROME, true), guest(Model.AMD_MILAN, true, Variation.CPUID_FAULTING));
    String text = PolicyText.format("pool rome+milan", pool.policy());
    TargetPolicy target = TargetPolicy.parse("pool.txt", text);

    assertEquals("pool.txt:pool rome+milan", target.blockFor(GuestType.X86_HVM));
    assertTrue(MigrationCheck.check(guest(Model.AMD_ROME, true), target.forGuest(GuestType.X86_HVM)).compatible());
    Result milan = MigrationCheck.check(guest(Model.AMD_MILAN, true), target.forGuest(GuestType.X86_HVM));
    assertEquals("max_leaf", milan.blockers().get(0).kind());
  }

  private static PoolBaseline pool(CpuPolicy... guests) {
    PoolBaseline pool = new PoolBaseline();
    for (CpuPolicy g : guests) {
      pool.add(g);
    }
    return pool;
  }

  private static FeatureBaseline feature(PoolBaseline pool, String name) {
    return pool.features().get(Features.indexOf(name));
  }

  /** An 8-vCPU HVM guest of that Xen version. */
  private static CpuPolicy policy(Model m, int major, int minor, EnumSet<Variation> v) {
    return CpuPolicy.of(CpuidProfiles.cpuid(m, true, major, minor, 8, v), CpuidProfiles.msr(m, major, minor, v));
  }

  private static CpuPolicy policy(Model m, int vcpus, boolean hvm, Variation... v) {
    EnumSet<Variation> set = EnumSet.noneOf(Variation.class);
    Collections.addAll(set, v);
    return CpuPolicy.of(CpuidProfiles.cpuid(m, hvm, 4, 19, vcpus, set), CpuidProfiles.msr(m, 4, 19, set));
  }

  private static int firstUnknownArchCapsBit() {
    long known = 0;
    for (CpuFeature f : Features.all()) {
      if (f.msr() && f.leafOrMsr() == 0x10A) {
        known |= 1L << f.msrBit();
      }
    }
    return Long.numberOfTrailingZeros(~known);
  }

  private static PoolBaseline roundTrip(PoolBaseline p) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(p);
    }
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      return (PoolBaseline) in.readObject();
    }
  }
}
