package xenaudit.policy;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

class SecurityFeaturesTest {
  @Test
  void everyColumnResolvesThroughTheFeatureTable() {
    for (String c : SecurityFeatures.COLUMNS) {
      assertEquals(c, Features.name(assertDoesNotThrow(() -> Features.byName(c), c)));
    }
  }

  @Test
  void columnsAreLowerCaseAndDistinct() {
    assertEquals(58, SecurityFeatures.COLUMNS.size());
    assertEquals(SecurityFeatures.COLUMNS.size(), new HashSet<>(SecurityFeatures.COLUMNS).size());
    for (String c : SecurityFeatures.COLUMNS) {
      assertEquals(c.toLowerCase(Locale.ROOT), c);
    }
    // The schema is written from this order: pin both ends.
    assertEquals(List.of("ibrsb", "stibp", "ssbd"), SecurityFeatures.COLUMNS.subList(0, 3));
    assertEquals(List.of("ipred_ctrl", "rrsba_ctrl", "bhi_ctrl"), SecurityFeatures.COLUMNS.subList(46, 49));
    assertEquals(List.of("tsa_sq_no", "tsa_l1_no"), SecurityFeatures.COLUMNS.subList(49, 51));
  }

  @Test
  void issueColumnsAndVerdictLabels() {
    assertEquals(List.of("mds", "taa", "ssb", "spectre_v2", "srbds", "gds", "rfds", "its", "meltdown", "spectre_v1",
        "l1tf", "itlb_multihit", "mmio_stale_data", "retbleed", "srso", "tsa", "bhi", "pbrsb"),
        java.util.Arrays.stream(SecurityIssue.values()).map(SecurityIssue::column).toList());
    assertEquals(List.of("not_affected", "mitigation_available", "exposed", "unknown"),
        java.util.Arrays.stream(Verdict.values()).map(Verdict::label).toList());
  }

  @Test
  void guestSecurityExposesIdentityAndSeenFeatures() {
    CpuPolicy p = PolicyFixture.intel(0x00050657, "md_clear", "mds_no").noArchCapsMsr().build();
    GuestSecurity g = GuestSecurity.of(p);
    assertEquals(Vendor.INTEL, g.vendor());
    assertEquals(6L, g.family());
    assertEquals(0x55L, g.model());
    assertEquals(7L, g.stepping());
    for (String c : SecurityFeatures.COLUMNS) {
      assertEquals(p.seen(Features.byName(c)), g.feature(c), c);
    }
    assertEquals(Boolean.TRUE, g.feature("md_clear"));
    assertEquals(null, g.feature("mds_no"), "ARCH_CAPS offered but the MSR is not in the stream");
    for (SecurityIssue i : SecurityIssue.values()) {
      assertEquals(SecurityRules.assess(i, g), g.assessment(i));
      assertTrue(!g.assessment(i).reason().isBlank());
    }
  }

  @Test
  void guestSecurityOfNoneHasNoIdentity() {
    GuestSecurity g = GuestSecurity.of(CpuPolicy.NONE);
    assertEquals(null, g.vendor());
    assertEquals(null, g.family());
    assertEquals(null, g.model());
    assertEquals(null, g.stepping());
    assertEquals(null, g.feature("ibrsb"));
  }
}
