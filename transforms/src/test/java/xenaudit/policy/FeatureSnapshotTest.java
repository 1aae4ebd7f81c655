package xenaudit.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import xenaudit.format.CpuFeature;
import xenaudit.sample.CpuidProfiles;
import xenaudit.sample.CpuidProfiles.Model;
import xenaudit.sample.CpuidProfiles.Variation;

class FeatureSnapshotTest {
  private static CpuPolicy intel(Variation... v) {
    EnumSet<Variation> set = v.length == 0 ? EnumSet.noneOf(Variation.class) : EnumSet.of(v[0], v);
    return CpuPolicy.of(CpuidProfiles.cpuid(Model.INTEL_CASCADE_LAKE, true, 4, 19, 2, set),
        CpuidProfiles.msr(Model.INTEL_CASCADE_LAKE, 4, 19, set));
  }

  @Test
  void keepsEveryFeatureAsThePolicyDecodesIt() {
    CpuPolicy p = intel(Variation.RTM_EXPOSED);
    FeatureSnapshot s = FeatureSnapshot.of("a", p);
    List<CpuFeature> all = Features.all();
    for (int i = 0; i < all.size(); i++) {
      assertEquals(p.present(all.get(i)), s.get(i), all.get(i).name());
    }
    FeatureSnapshot none = FeatureSnapshot.of("b", CpuPolicy.NONE);
    for (int i = 0; i < all.size(); i++) {
      assertNull(none.get(i));
    }
  }

  @Test
  void changesAreTheFeaturesKnownInBothRunsThatDiffer() {
    FeatureSnapshot before = FeatureSnapshot.of("a", intel(Variation.MD_CLEAR_MISSING));
    FeatureSnapshot after = FeatureSnapshot.of("a", intel(Variation.RTM_EXPOSED));
    assertEquals(java.util.Set.of(new FeatureSnapshot.Change("rtm", "appeared"),
            new FeatureSnapshot.Change("md_clear", "appeared")),
        java.util.Set.copyOf(FeatureSnapshot.changes(before, after)));
    assertEquals(java.util.Set.of(new FeatureSnapshot.Change("rtm", "disappeared"),
            new FeatureSnapshot.Change("md_clear", "disappeared")),
        java.util.Set.copyOf(FeatureSnapshot.changes(after, before)));
    assertEquals(List.of(), FeatureSnapshot.changes(before, FeatureSnapshot.of("x", CpuPolicy.NONE)),
        "an unknown value is no change");
  }

  @Test
  void mergeKeepsTheGreaterObjectAndJoinsPartsOfTheSameOne() {
    FeatureSnapshot a = FeatureSnapshot.of("s3://b/a", intel());
    FeatureSnapshot z = FeatureSnapshot.of("s3://b/z", intel());
    assertSame(z, FeatureSnapshot.merge(a, z));
    assertSame(z, FeatureSnapshot.merge(z, a));
    assertSame(a, FeatureSnapshot.merge(null, a));
    FeatureSnapshot part1 = FeatureSnapshot.empty("u");
    FeatureSnapshot part2 = FeatureSnapshot.empty("u");
    part1.set(3, true);
    part2.set(200, false);
    FeatureSnapshot whole = FeatureSnapshot.merge(part1, part2);
    assertEquals(Boolean.TRUE, whole.get(3));
    assertEquals(Boolean.FALSE, whole.get(200));
    assertNull(whole.get(4));
  }
}
