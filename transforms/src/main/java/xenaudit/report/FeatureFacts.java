package xenaudit.report;

import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.util.Utf8;

/** What the report says of {@code cpuid_features}: per feature, guests where it is present, absent, unknown. */
final class FeatureFacts {
  static final List<String> COLUMNS = List.of("feature", "present");
  static final int PRESENT = 0;
  static final int ABSENT = 1;
  static final int UNKNOWN = 2;

  /** Most guests with the feature first, then most without it, then by name. */
  static final Comparator<CappedCounter.Entry<String>> EXPOSURE =
      Comparator.comparingLong((CappedCounter.Entry<String> e) -> e.counts()[PRESENT]).reversed()
          .thenComparing(Comparator.comparingLong((CappedCounter.Entry<String> e) -> e.counts()[ABSENT]).reversed())
          .thenComparing(CappedCounter.Entry::key);

  final CappedCounter<String> features = new CappedCounter<>(ReportFacts.FEATURE_CAP, 3);
  private final FeatureNames names = new FeatureNames();

  void add(GenericRecord row) {
    String feature = names.of(row.get("feature"));
    Boolean present = (Boolean) row.get("present");
    features.add(feature, present == null ? UNKNOWN : present ? PRESENT : ABSENT, 1);
  }

  /** Decodes each distinct feature name once (the table repeats ~290 names for every guest). */
  private static final class FeatureNames {
    private final HashMap<Object, String> seen = new HashMap<>();

    String of(Object value) {
      if (value == null) {
        return "";
      }
      String s = seen.get(value);
      if (s == null) {
        s = value.toString();
        if (seen.size() >= 4 * ReportFacts.FEATURE_CAP) {
          seen.clear();
        }
        seen.put(value instanceof Utf8 u ? new Utf8(u) : value, s);
      }
      return s;
    }
  }
}
