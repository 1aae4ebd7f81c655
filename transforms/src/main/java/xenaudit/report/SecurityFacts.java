package xenaudit.report;

import static xenaudit.report.ParquetTable.string;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.avro.generic.GenericRecord;
import xenaudit.policy.SecurityIssue;
import xenaudit.policy.Vendor;
import xenaudit.policy.Verdict;

/** What the report says of {@code guest_security}: verdict counts per issue and the guests behind them. */
final class SecurityFacts {
  /** Verdicts whose guests the report lists, worst first. */
  static final List<Verdict> LISTED = List.of(Verdict.EXPOSED, Verdict.UNKNOWN, Verdict.MITIGATION_AVAILABLE);

  static final List<String> COLUMNS;

  static {
    List<String> c = new ArrayList<>(List.of("guest_id", "source_uri", "vendor"));
    for (SecurityIssue i : SecurityIssue.values()) {
      c.add(i.column() + "_verdict");
      c.add(i.column() + "_reason");
    }
    COLUMNS = List.copyOf(c);
  }

  /** The vendor labels counted, as guest_security.vendor writes them; "none" = no CPUID policy. */
  static final List<String> VENDORS = List.of("intel", "amd", "hygon", "other", "none");

  /** A guest behind a verdict. */
  record Guest(String guestId, String sourceUri, String reason) {}

  static final Comparator<Guest> ORDER = Comparator.comparing(Guest::guestId)
      .thenComparing(Guest::sourceUri)
      .thenComparing(Guest::reason);

  /** Per issue, rows per {@link Verdict} by ordinal, and last the rows with any other value. */
  private final Map<SecurityIssue, long[]> verdicts = new LinkedHashMap<>();
  private final Map<SecurityIssue, Map<Verdict, SmallestK<Guest>>> guests = new LinkedHashMap<>();
  private final long[] vendors = new long[VENDORS.size()];
  long rows;
  long anyExposed;
  long anyUnknown;

  SecurityFacts(int listLimit) {
    for (SecurityIssue i : SecurityIssue.values()) {
      verdicts.put(i, new long[Verdict.values().length + 1]);
      Map<Verdict, SmallestK<Guest>> byVerdict = new LinkedHashMap<>();
      for (Verdict v : LISTED) {
        byVerdict.put(v, new SmallestK<>(listLimit, ORDER));
      }
      guests.put(i, byVerdict);
    }
  }

  void add(GenericRecord row) {
    rows++;
    String vendor = string(row, "vendor");
    int vi = VENDORS.indexOf(vendor == null ? "none" : vendor);
    vendors[vi < 0 ? VENDORS.indexOf("other") : vi]++;
    boolean exposed = false;
    boolean unknown = false;
    String guestId = null;
    String sourceUri = null;
    for (SecurityIssue i : SecurityIssue.values()) {
      String v = Objects.requireNonNullElse(string(row, i.column() + "_verdict"), "");
      verdicts.get(i)[ordinal(v)]++;
      exposed |= v.equals(Verdict.EXPOSED.label());
      unknown |= v.equals(Verdict.UNKNOWN.label());
      for (Map.Entry<Verdict, SmallestK<Guest>> e : guests.get(i).entrySet()) {
        if (v.equals(e.getKey().label())) {
          if (guestId == null) {
            guestId = Objects.requireNonNullElse(string(row, "guest_id"), "");
            sourceUri = Objects.requireNonNullElse(string(row, "source_uri"), "");
          }
          e.getValue().offer(
              new Guest(guestId, sourceUri, Objects.requireNonNullElse(string(row, i.column() + "_reason"), "")));
        }
      }
    }
    if (exposed) {
      anyExposed++;
    }
    if (unknown) {
      anyUnknown++;
    }
  }

  private static int ordinal(String label) {
    for (Verdict v : Verdict.values()) {
      if (v.label().equals(label)) {
        return v.ordinal();
      }
    }
    return Verdict.values().length;
  }

  /** Rows whose vendor column is {@code label} (one of {@link #VENDORS}). */
  long vendorCount(String label) {
    return vendors[VENDORS.indexOf(label)];
  }

  /** Rows with a vendor {@code scope} concerns. */
  long concerned(SecurityIssue.Scope scope) {
    long n = 0;
    for (Vendor v : Vendor.values()) {
      if (scope.concerns(v)) {
        n += vendorCount(v.label());
      }
    }
    return n;
  }

  /** Rows without a vendor (no CPUID policy): unknown for every issue, whatever the scope. */
  long unknownVendor() {
    return vendorCount("none");
  }

  long count(SecurityIssue issue, Verdict verdict) {
    return verdicts.get(issue)[verdict.ordinal()];
  }

  SmallestK<Guest> guests(SecurityIssue issue, Verdict verdict) {
    return guests.get(issue).get(verdict);
  }

  /** Rows of {@code issue} whose verdict is none of the four (0 for tables this code wrote). */
  long otherVerdicts(SecurityIssue issue) {
    return verdicts.get(issue)[Verdict.values().length];
  }
}
