package xenaudit.report;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import xenaudit.policy.SecurityIssue;

/**
 * A made-up fleet's tables for the report tests: mixed statuses, Xen versions (some null), hostile
 * strings in names, URIs, messages and reasons, every verdict, features with nulls, pools with
 * awkward names, blocked guests and drift.
 */
final class ReportFleet {
  static final String HOSTILE = "<script>alert(1)</script> \"q\" & 'a'";
  static final String HOSTILE_URI = "s3://archive/<script>alert(1)</script>&\"x\".xl";
  static final List<String> FEATURES =
      List.of("md_clear", "taa_no", "rtm", "hle", "ibrsb", "avx512f", "sse2", "mds_no", "arch_caps", "x<y>&z");
  static final List<String> POOLS = List.of("rack-a", "rack/b & <c>", "");
  static final List<String> VERDICTS = List.of("not_affected", "mitigation_available", "exposed", "unknown");

  private ReportFleet() {}

  static String uri(int i) {
    return i == 5 ? HOSTILE_URI : String.format("s3://archive/pool%d/guest-%04d.xl", i % 3, i);
  }

  static String guestId(int i) {
    return String.format("00000000-0000-4000-8000-%012d", i);
  }

  static String status(int i) {
    if (i % 9 == 0) {
      return "unreadable";
    }
    return i % 4 == 0 || i == 5 ? "invalid" : "valid";
  }

  static ReportTables build(int images) {
    ReportTables t = new ReportTables();
    for (String table : List.of("streams", "findings", "guest_security", "cpuid_features", "pool_baseline",
        "migration_check", "migration_blockers", "policy_drift")) {
      t.table(table);
    }
    for (int i = 0; i < images; i++) {
      String uri = uri(i);
      String status = status(i);
      boolean unreadable = status.equals("unreadable");
      long errors = status.equals("valid") ? 0 : 1 + i % 5;
      Map<String, Object> s = new HashMap<>();
      s.put("source_uri", uri);
      s.put("size_bytes", i % 11 == 0 ? null : 1_000_000L + i);
      s.put("container", unreadable ? "unknown" : i % 2 == 0 ? "xl" : "libvirt");
      s.put("guest_type", unreadable ? null : i % 3 == 0 ? "x86_pv" : "x86_hvm");
      s.put("xen_major", unreadable || i % 13 == 0 ? null : 4L);
      s.put("xen_minor", unreadable || i % 13 == 0 ? null : (long) (10 + i % 5));
      s.put("guest_name", i == 5 || i == 8 ? HOSTILE : "web-" + i);
      s.put("guest_uuid", guestId(i));
      s.put("guest_id", guestId(i));
      s.put("status", status);
      s.put("error_count", errors);
      s.put("warning_count", (long) (i % 2));
      s.put("audit_run_id", "run-1");
      t.add("streams", s);

      for (int e = 0; e < errors; e++) {
        Map<String, Object> f = new HashMap<>();
        f.put("guest_id", guestId(i));
        f.put("source_uri", uri);
        f.put("severity", "error");
        f.put("code", e == 0 ? "TRUNCATED" : "LIBXC_BAD_RECORD");
        f.put("message", "error " + e + " of " + uri + ": expected <8> & found \"7\"");
        f.put("byte_offset", 1000L - 100 * e); // the last written is the first in the stream
        f.put("record_index", e % 2 == 0 ? null : (long) e);
        f.put("record_type", "X86_CPUID_POLICY");
        f.put("layer", "libxc");
        t.add("findings", f);
      }
      if (i % 2 == 1) {
        Map<String, Object> w = new HashMap<>();
        w.put("guest_id", guestId(i));
        w.put("source_uri", uri);
        w.put("severity", "warning");
        w.put("code", i % 3 == 0 ? "CPUID_REQUEST_NOT_MET" : "XL_CONFIG_TEXT");
        w.put("message", HOSTILE);
        w.put("byte_offset", 10L);
        w.put("record_type", "xl_header");
        w.put("layer", "xl");
        t.add("findings", w);
      }

      Map<String, Object> g = new HashMap<>();
      g.put("guest_id", guestId(i));
      g.put("source_uri", uri);
      g.put("decode_version", "cpufeatureset-test");
      for (SecurityIssue issue : SecurityIssue.values()) {
        String v = unreadable ? "unknown" : VERDICTS.get((i + issue.ordinal()) % 4);
        g.put(issue.column() + "_verdict", v);
        g.put(issue.column() + "_reason", issue.column() + " is " + v + " because " + (i == 8 ? HOSTILE : "bits"));
      }
      t.add("guest_security", g);

      for (int k = 0; k < FEATURES.size(); k++) {
        Map<String, Object> c = new HashMap<>();
        c.put("guest_id", guestId(i));
        c.put("source_uri", uri);
        c.put("feature", FEATURES.get(k));
        c.put("word", (long) k);
        c.put("bit", (long) k);
        c.put("source", "cpuid");
        c.put("register", "edx");
        c.put("present", unreadable || (i + k) % 7 == 0 ? null : (i * (k + 1)) % 3 != 0);
        c.put("decode_version", "cpufeatureset-test");
        t.add("cpuid_features", c);
      }

      if (!unreadable) {
        boolean compatible = i % 5 != 0;
        List<String> blockers = compatible ? List.of() : i % 2 == 0 ? List.of("feature:avx512f", "feature:rtm", "vendor:")
            : List.of("feature:avx512f");
        Map<String, Object> m = new HashMap<>();
        m.put("guest_id", guestId(i));
        m.put("source_uri", uri);
        m.put("target", i % 3 == 0 ? "host.txt:PV Max" : "host.txt:HVM Max");
        m.put("compatible", compatible);
        m.put("blocker_count", (long) blockers.size());
        m.put("non_blocking_features", i % 6 == 1 ? "md_clear" : null);
        t.add("migration_check", m);
        for (String b : blockers) {
          String[] kf = b.split(":", -1);
          Map<String, Object> r = new HashMap<>();
          r.put("guest_id", guestId(i));
          r.put("source_uri", uri);
          r.put("target", m.get("target"));
          r.put("kind", kf[0]);
          r.put("feature", kf[1].isEmpty() ? null : kf[1]);
          r.put("detail", "guest 1 vs target 0");
          t.add("migration_blockers", r);
        }
      }

      if (i % 4 == 1) {
        Map<String, Object> d = new HashMap<>();
        d.put("guest_id", guestId(i));
        d.put("feature", i % 8 == 1 ? "md_clear" : "rtm");
        d.put("change", i % 8 == 1 ? "appeared" : "disappeared");
        d.put("previous_source_uri", uri);
        d.put("source_uri", uri);
        t.add("policy_drift", d);
      }
    }
    Map<String, Object> gone = new HashMap<>();
    gone.put("guest_id", "gone-guest");
    gone.put("change", "guest_gone");
    gone.put("previous_source_uri", "s3://old/gone.xl");
    t.add("policy_drift", gone);

    for (int p = 0; p < POOLS.size(); p++) {
      long guests = 10L + p;
      for (int k = 0; k < FEATURES.size(); k++) {
        long with = k % 3 == 0 ? guests : k % 3 == 1 ? 0 : guests / 2;
        Map<String, Object> b = new HashMap<>();
        b.put("pool", POOLS.get(p));
        b.put("feature", FEATURES.get(k));
        b.put("present", k == 9 ? null : with == guests);
        b.put("guest_count", guests);
        b.put("guests_with_feature", with);
        t.add("pool_baseline", b);
      }
    }
    return t;
  }
}
