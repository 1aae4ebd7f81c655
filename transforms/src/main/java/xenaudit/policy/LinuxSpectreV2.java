package xenaudit.policy;

/**
 * What a Linux guest (6.19, default options) makes of the branch-prediction controls it sees, as
 * {@code spectre_v2_show_state} in arch/x86/kernel/cpu/bugs.c prints it: the mode {@code
 * spectre_v2_select/update_mitigation} picks, then the IBPB, IBRS_FW, STIBP, RSB, PBRSB-eIBRS and
 * BHI clauses. Reads bits quietly ({@link RuleContext#quiet}): these decide lines, not verdicts.
 *
 * <p>Linux's feature names map to Xen's: X86_FEATURE_IBRS = IBRSB or AMD IBRS, IBPB = IBRSB or
 * AMD IBPB, STIBP = STIBP or AMD_STIBP, IBRS_ENHANCED = EIBRS (ARCH_CAPS IBRS_ALL) or AUTO_IBRS.
 * Whether the guest can run SMT siblings is not in the stream, so the STIBP clause gives both.
 */
final class LinuxSpectreV2 {
  enum Mode {
    EIBRS("Mitigation: Enhanced / Automatic IBRS"),
    IBRS("Mitigation: IBRS"),
    RETPOLINE("Mitigation: Retpolines");

    final String line;

    Mode(String line) {
      this.line = line;
    }
  }

  private LinuxSpectreV2() {}

  static boolean eibrs(RuleContext c) {
    return c.quiet("eibrs") || c.quiet("auto_ibrs");
  }

  static boolean ibrs(RuleContext c) {
    return c.quiet("ibrsb") || c.quiet("ibrs");
  }

  static boolean ibpb(RuleContext c) {
    return c.quiet("ibrsb") || c.quiet("ibpb");
  }

  static boolean stibp(RuleContext c) {
    return c.quiet("stibp") || c.quiet("amd_stibp");
  }

  /** X86_BUG_RETBLEED: no BTC_NO, and a RETBLEED row or RSBA. */
  static boolean retbleedBug(RuleContext c) {
    return !c.quiet("btc_no") && (c.inBlacklist("RETBLEED") || c.quiet("rsba"));
  }

  private static boolean amdLike(RuleContext c) {
    Vendor v = c.guestVendor();
    return v == Vendor.AMD || v == Vendor.HYGON;
  }

  /** No X86_BUG_SPECTRE_V2 at all. */
  static boolean notAffected(RuleContext c) {
    return c.inWhitelist("NO_SPECULATION") || c.inWhitelist("NO_SPECTRE_V2");
  }

  static Mode mode(RuleContext c) {
    if (eibrs(c)) {
      return Mode.EIBRS;
    }
    // spectre_v2_update_mitigation: a Retbleed-affected Intel part with IBRS runs IBRS.
    if (c.guestVendor() == Vendor.INTEL && retbleedBug(c) && ibrs(c)) {
      return Mode.IBRS;
    }
    return Mode.RETPOLINE;
  }

  /** The whole spectre_v2 line. */
  static String line(RuleContext c) {
    if (notAffected(c)) {
      return RuleContext.NOT_AFFECTED;
    }
    Mode mode = mode(c);
    StringBuilder b = new StringBuilder(mode.line);
    boolean ibpb = ibpb(c);
    if (ibpb) {
      b.append("; IBPB: conditional");
    }
    boolean ibpbFirmware = amdLike(c) && retbleedBug(c) && ibpb;
    if (!ibpbFirmware && ibrs(c) && mode == Mode.RETPOLINE) {
      b.append("; IBRS_FW");
    }
    if (mode != Mode.EIBRS || c.quiet("auto_ibrs")) {
      if (!stibp(c)) {
        b.append("; STIBP: disabled");
      } else {
        // Always-on with STIBP_ALWAYS, or behind AMD's untrained return thunk (spectre_v2_user_update).
        boolean always = c.quiet("stibp_always") || amdLike(c) && retbleedBug(c);
        b.append("; STIBP: {").append(always ? "always-on" : "conditional").append("|disabled}");
      }
    }
    if (mode != Mode.EIBRS) {
      b.append("; RSB filling");
    }
    b.append("; ").append(pbrsbClause(c)).append("; ").append(bhiClause(c));
    return b.toString();
  }

  /** "PBRSB-eIBRS: SW sequence" or "PBRSB-eIBRS: Not affected". */
  static String pbrsbClause(RuleContext c) {
    boolean bug = !c.inWhitelist("NO_SPECULATION") && eibrs(c) && !c.inWhitelist("NO_EIBRS_PBRSB")
        && !c.quiet("pbrsb_no");
    return bug ? "PBRSB-eIBRS: SW sequence" : "PBRSB-eIBRS: Not affected";
  }

  /** "BHI: Not affected", "BHI: Retpoline", "BHI: BHI_DIS_S" or "BHI: SW loop, KVM: SW loop". */
  static String bhiClause(RuleContext c) {
    // common.c: X86_BUG_BHI unless NO_BHI, for any guest (HYPERVISOR), whatever BHI_NO says.
    if (notAffected(c) || c.inWhitelist("NO_BHI")) {
      return "BHI: Not affected";
    }
    boolean rrsbaDisabled = !c.quiet("rrsba") || c.quiet("rrsba_ctrl");
    if (mode(c) == Mode.RETPOLINE && rrsbaDisabled) {
      return "BHI: Retpoline";
    }
    return c.quiet("bhi_ctrl") ? "BHI: BHI_DIS_S" : "BHI: SW loop, KVM: SW loop";
  }
}
