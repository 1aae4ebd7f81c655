package xenaudit.report;

import static xenaudit.report.ParquetTable.longValue;
import static xenaudit.report.ParquetTable.string;

import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.avro.generic.GenericRecord;

/**
 * What the report says of {@code findings}: counts by code and severity over the fleet, and the first
 * error findings of the archives the report lists (known before findings are read).
 */
final class FindingFacts {
  static final List<String> COLUMNS =
      List.of("source_uri", "severity", "code", "message", "byte_offset", "record_index", "record_type", "layer");

  /** Findings per code and severity. */
  record CodeSeverity(String code, String severity) implements Comparable<CodeSeverity> {
    @Override
    public int compareTo(CodeSeverity o) {
      int c = code.compareTo(o.code);
      return c != 0 ? c : severity.compareTo(o.severity);
    }
  }

  /** One finding of a listed archive. */
  record Finding(long byteOffset, Long recordIndex, String code, String layer, String recordType, String message) {}

  /** First in the stream first: smallest offset, then record index (headers, null, first). */
  static final Comparator<Finding> ORDER = Comparator.comparingLong(Finding::byteOffset)
      .thenComparing(Finding::recordIndex, Comparator.nullsFirst(Comparator.naturalOrder()))
      .thenComparing(Finding::code)
      .thenComparing(Finding::layer)
      .thenComparing(Finding::recordType)
      .thenComparing(Finding::message);

  final CappedCounter<CodeSeverity> byCode = new CappedCounter<>(ReportFacts.CODE_CAP);
  private final Map<String, SmallestK<Finding>> firstErrors = new HashMap<>();

  /** {@code listedUris}: the archives whose first error findings are kept, at most {@code perArchive} each. */
  FindingFacts(Set<String> listedUris, int perArchive) {
    for (String uri : listedUris) {
      firstErrors.put(uri, new SmallestK<>(perArchive, ORDER));
    }
  }

  void add(GenericRecord row) {
    String severity = Objects.requireNonNullElse(string(row, "severity"), "unknown");
    String code = Objects.requireNonNullElse(string(row, "code"), "unknown");
    byCode.add(new CodeSeverity(code, severity));
    if (!"error".equals(severity) || firstErrors.isEmpty()) {
      return;
    }
    SmallestK<Finding> first = firstErrors.get(Objects.requireNonNullElse(string(row, "source_uri"), ""));
    if (first != null) {
      first.offer(new Finding(Objects.requireNonNullElse(longValue(row, "byte_offset"), 0L),
          longValue(row, "record_index"), code, Objects.requireNonNullElse(string(row, "layer"), ""),
          Objects.requireNonNullElse(string(row, "record_type"), ""),
          Objects.requireNonNullElse(string(row, "message"), "")));
    }
  }

  /** The first error findings of a listed archive, first first; empty when it has none. */
  List<Finding> firstErrors(String sourceUri) {
    SmallestK<Finding> f = firstErrors.get(sourceUri);
    return f == null ? List.of() : f.sorted();
  }

  /** Error findings of a listed archive, shown or not. */
  long errorsSeen(String sourceUri) {
    SmallestK<Finding> f = firstErrors.get(sourceUri);
    return f == null ? 0 : f.offered();
  }
}
