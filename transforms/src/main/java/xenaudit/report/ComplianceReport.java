package xenaudit.report;

import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.parquet.io.InputFile;

/**
 * The HTML compliance report of one audit run: one self-contained page (inline CSS and SVG, no
 * script, no reference to anything but its own {@code #anchors}, print rules for A4) built from the
 * run's Parquet tables, for readers who do not write SQL.
 *
 * <p>Tables are read one after another, each in one pass and with only the columns the page needs
 * ({@code findings} after {@code streams}, {@code migration_blockers} after {@code migration_check},
 * since each needs the archives or guests the page lists). Only counters and bounded lists are kept
 * (at most 25 entries per list, the smallest by {@code source_uri} or {@code guest_id}; 50 values per
 * free-form category such as the Xen version, the rest counted as "other"; 100 pools, the smallest
 * names), so the heap does not grow with the fleet: what it needs beyond them is one Parquet row
 * group's chunks of the few columns read (parquet-mr reads a row group's column chunks at once). 100,000
 * images (29 M {@code cpuid_features} rows in one file) take about 7 s in a 128 MiB heap. The page is
 * the same for the same tables and header, whatever the order of the files.
 *
 * <h2>Element ids</h2>
 *
 * Every count below is an element with that {@code id} whose {@code data-value} attribute is the
 * exact count as a plain integer (its text is the same number with {@code ,} thousands separators).
 * {@code <v>} marks a value from the data written in id form: every UTF-8 byte outside {@code
 * [A-Za-z0-9_.-]} as {@code %XX} (upper-case hex), the empty string as {@code %} (so a pool {@code
 * a/b c} is {@code pool-a%2Fb%20c-guests}). Rows folding the values past a cap ("other values")
 * have no id. The ids of a section are absent when its table is absent.
 *
 * <table>
 *   <caption>ids</caption>
 *   <tr><th>id</th><th>count</th></tr>
 *   <tr><td>{@code images-total}</td><td>rows of {@code streams}</td></tr>
 *   <tr><td>{@code bytes-total}</td><td>sum of {@code streams.size_bytes} (null sizes left out;
 *     {@code bytes-unknown}: how many, present only when some)</td></tr>
 *   <tr><td>{@code status-valid}, {@code status-invalid}, {@code status-unreadable}</td><td>streams per
 *     status (always present; another status {@code <v>} gets {@code status-<v>})</td></tr>
 *   <tr><td>{@code xen-<major>.<minor>}, {@code xen-unknown}</td><td>streams per Xen version
 *     ({@code xen-4.unknown} when only the minor is null)</td></tr>
 *   <tr><td>{@code container-<v>}, {@code guest-type-<v>}</td><td>streams per container, per guest type
 *     ({@code guest-type-unknown} for null)</td></tr>
 *   <tr><td>{@code bad-archives-total}</td><td>streams whose status is not valid</td></tr>
 *   <tr><td>{@code bad-archives-more}</td><td>of those, not listed (present only when some)</td></tr>
 *   <tr><td>{@code findings-total}</td><td>rows of {@code findings}</td></tr>
 *   <tr><td>{@code findings-<code>-<severity>}</td><td>findings per code and severity, e.g.
 *     {@code findings-TRUNCATED-error}</td></tr>
 *   <tr><td>{@code security-rows}</td><td>rows of {@code guest_security}</td></tr>
 *   <tr><td>{@code guests-any-exposed}, {@code guests-any-unknown}</td><td>rows with at least one
 *     {@code exposed} / {@code unknown} verdict</td></tr>
 *   <tr><td>{@code vendor-<v>}</td><td>rows of {@code guest_security} per vendor, v one of {@code intel
 *     amd hygon other none} (none: no CPUID policy); all five always present</td></tr>
 *   <tr><td>{@code verdict-<issue>-<verdict>}</td><td>rows of {@code guest_security} with that verdict;
 *     issue as the column prefix ({@code mds taa ssb spectre_v2 srbds gds rfds its meltdown spectre_v1
 *     l1tf itlb_multihit mmio_stale_data retbleed srso tsa bhi pbrsb}), verdict as stored ({@code
 *     not_affected mitigation_available exposed unknown}); all 72 always present, also inside a
 *     vendor group folded because no guest of the run has such a CPU (elements {@code scope-all},
 *     {@code scope-intel}, {@code scope-amd})</td></tr>
 *   <tr><td>{@code verdict-<issue>-<verdict>-more}</td><td>guests behind an exposed, unknown or
 *     mitigation_available verdict not listed (present only when some; the list itself is the element
 *     {@code guests-<issue>-<verdict>})</td></tr>
 *   <tr><td>{@code feature-<v>-present}, {@code feature-<v>-absent}, {@code feature-<v>-unknown}</td>
 *     <td>rows of {@code cpuid_features} of that feature with {@code present} true, false, null</td></tr>
 *   <tr><td>{@code pools-total}</td><td>pools in {@code pool_baseline}</td></tr>
 *   <tr><td>{@code pool-<v>-guests}, {@code pool-<v>-baseline}, {@code pool-<v>-partial}</td><td>per shown
 *     pool: {@code guest_count}; features with {@code present} true; features with
 *     {@code 0 < guests_with_feature < guest_count}</td></tr>
 *   <tr><td>{@code pools-more}</td><td>pools not shown (present only when some)</td></tr>
 *   <tr><td>{@code migration-compatible}, {@code migration-blocked}</td><td>rows of {@code migration_check}
 *     with {@code compatible} true, false</td></tr>
 *   <tr><td>{@code migration-non-blocking}</td><td>rows with a non-empty {@code non_blocking_features}</td></tr>
 *   <tr><td>{@code blocker-<kind>}, {@code blocker-<kind>-<feature>}</td><td>rows of
 *     {@code migration_blockers} per kind (feature null) or kind and feature, e.g. {@code blocker-vendor},
 *     {@code blocker-feature-avx512f}, for the 40 most frequent</td></tr>
 *   <tr><td>{@code migration-blocked-more}</td><td>blocked guests not listed (present only when some)</td></tr>
 *   <tr><td>{@code drift-total}</td><td>rows of {@code policy_drift}</td></tr>
 *   <tr><td>{@code drift-appeared}, {@code drift-disappeared}, {@code drift-guest_new},
 *     {@code drift-guest_gone}</td><td>rows per change (always present with the table)</td></tr>
 *   <tr><td>{@code drift-more}</td><td>drift rows not listed (present only when some)</td></tr>
 * </table>
 *
 * <p>Feature names are lower case {@code [a-z0-9_]}, so an id such as {@code feature-md_clear-present}
 * needs no escaping in practice.
 *
 * <p>Sections have the anchors {@code top}, {@code fleet}, {@code archives}, {@code findings},
 * {@code security}, {@code issue-<issue>}, {@code features}, {@code pools}, {@code migration},
 * {@code drift}, {@code about}; the header's values are in {@code meta-audit-date}, {@code meta-run-id},
 * {@code meta-output}, {@code meta-generated-at}, {@code meta-target}, {@code meta-previous-audit-date},
 * {@code meta-pool-key}.
 */
public final class ComplianceReport {
  private ComplianceReport() {}

  /**
   * Writes the report as UTF-8 HTML to {@code out} (flushed, not closed).
   *
   * @param tables each table name (e.g. "streams") with that table's Parquet files of this run; a table
   *     absent from the map was not produced, and its section says so
   * @param header what the page says of the run
   * @param out where the page goes (flushed, not closed)
   * @throws java.io.IOException when a table cannot be read (the message names the table and file) or
   *     {@code out} cannot be written
   */
  public static void write(Map<String, List<InputFile>> tables, ReportHeader header, OutputStream out)
      throws IOException {
    ReportFacts facts = ReportFacts.read(tables);
    String page = ReportPage.render(facts, header);
    Writer w = new OutputStreamWriter(out, StandardCharsets.UTF_8);
    w.write(page);
    w.flush();
  }
}
