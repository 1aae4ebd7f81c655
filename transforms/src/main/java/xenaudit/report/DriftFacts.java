package xenaudit.report;

import static xenaudit.report.ParquetTable.string;

import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import org.apache.avro.generic.GenericRecord;

/** What the report says of {@code policy_drift}: changes by kind and the first changes by guest. */
final class DriftFacts {
  static final List<String> COLUMNS = List.of("guest_id", "feature", "change", "previous_source_uri", "source_uri");

  /** Change kinds in the order the report lists them. */
  static final List<String> CHANGES = List.of("appeared", "disappeared", "guest_new", "guest_gone");

  /** One row of the table. */
  record Change(String guestId, String change, String feature, String previousSourceUri, String sourceUri) {}

  private static final Comparator<String> NULLS_FIRST = Comparator.nullsFirst(Comparator.naturalOrder());

  static final Comparator<Change> ORDER = Comparator.comparing(Change::guestId)
      .thenComparing(Change::change)
      .thenComparing(Change::feature, NULLS_FIRST)
      .thenComparing(Change::previousSourceUri, NULLS_FIRST)
      .thenComparing(Change::sourceUri, NULLS_FIRST);

  final CappedCounter<String> changes = new CappedCounter<>(ReportFacts.CATEGORY_CAP);
  final SmallestK<Change> first;

  DriftFacts(int listLimit) {
    first = new SmallestK<>(listLimit, ORDER);
  }

  void add(GenericRecord row) {
    String change = Objects.requireNonNullElse(string(row, "change"), "");
    changes.add(change);
    first.offer(new Change(Objects.requireNonNullElse(string(row, "guest_id"), ""), change, string(row, "feature"),
        string(row, "previous_source_uri"), string(row, "source_uri")));
  }
}
