package xenaudit.policy;

import java.util.List;

/** The CPU features the security tables carry as boolean columns, one per feature. */
public final class SecurityFeatures {
  /**
   * Lower-case Xen feature names (cpufeatureset.tsv), in column order. The tables' Avro schema
   * follows this list: append only, never reorder or rename (columns added later come after
   * decode_version and the verdicts of the later issues).
   */
  public static final List<String> COLUMNS = List.of(
      "ibrsb", "stibp", "ssbd", "md_clear", "l1d_flush", "arch_caps", "rtm", "hle", "tsx_force_abort",
      "rtm_always_abort", "tsx_ctrl", "rdcl_no", "intel_ssb_no", "mds_no", "if_pschange_mc_no", "taa_no",
      "sbdr_ssdp_no", "fbsdp_no", "psdp_no", "bhi_no", "pbrsb_no", "gds_no", "rfds_no", "its_no", "eibrs",
      "rsba", "rrsba", "fb_clear", "gds_ctrl", "rfds_clear", "skip_l1dfl", "ibpb", "ibrs", "amd_stibp",
      "amd_ssbd", "virt_ssbd", "ssb_no", "psfd", "btc_no", "ibpb_ret", "auto_ibrs", "sbpb", "ibpb_brtype",
      "srso_no", "verw_clear", "intel_psfd", "ipred_ctrl", "rrsba_ctrl", "bhi_ctrl",
      // Appended for the second set of issues (TSA, SRSO, STIBP, SRBDS, GDS, iTLB multihit, L1TF):
      "tsa_sq_no", "tsa_l1_no", "srso_us_no", "srso_msr_fix", "stibp_always", "rdrand", "rdseed", "avx", "vmx");

  private SecurityFeatures() {}
}
