package xenaudit.report;

import static xenaudit.report.ParquetTable.longValue;
import static xenaudit.report.ParquetTable.string;

import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import org.apache.avro.generic.GenericRecord;

/** What the report says of {@code streams}: the fleet by status, Xen version, container and type. */
final class FleetFacts {
  static final List<String> COLUMNS = List.of("source_uri", "size_bytes", "container", "guest_type", "xen_major",
      "xen_minor", "guest_name", "guest_id", "status", "error_count", "warning_count");

  /** An invalid or unreadable archive the report lists. */
  record BadArchive(String sourceUri, String status, String guestId, String guestName, long errorCount,
      long warningCount) {}

  static final Comparator<BadArchive> ORDER = Comparator.comparing(BadArchive::sourceUri)
      .thenComparing(BadArchive::status)
      .thenComparing(BadArchive::guestId)
      .thenComparing(BadArchive::guestName, Comparator.nullsFirst(Comparator.naturalOrder()))
      .thenComparingLong(BadArchive::errorCount)
      .thenComparingLong(BadArchive::warningCount);

  final CappedCounter<String> status = new CappedCounter<>(ReportFacts.CATEGORY_CAP);
  final CappedCounter<XenVersion> xen = new CappedCounter<>(ReportFacts.CATEGORY_CAP);
  final CappedCounter<String> container = new CappedCounter<>(ReportFacts.CATEGORY_CAP);
  final CappedCounter<String> guestType = new CappedCounter<>(ReportFacts.CATEGORY_CAP);
  final SmallestK<BadArchive> bad;
  long images;
  long bytes;
  long sizeUnknown;

  FleetFacts(int listLimit) {
    bad = new SmallestK<>(listLimit, ORDER);
  }

  void add(GenericRecord row) {
    images++;
    String st = Objects.requireNonNullElse(string(row, "status"), "unknown");
    status.add(st);
    xen.add(XenVersion.of(longValue(row, "xen_major"), longValue(row, "xen_minor")));
    container.add(Objects.requireNonNullElse(string(row, "container"), "unknown"));
    guestType.add(Objects.requireNonNullElse(string(row, "guest_type"), "unknown"));
    Long size = longValue(row, "size_bytes");
    if (size == null) {
      sizeUnknown++;
    } else {
      bytes += size;
    }
    if (!"valid".equals(st)) {
      bad.offer(new BadArchive(Objects.requireNonNullElse(string(row, "source_uri"), ""), st,
          Objects.requireNonNullElse(string(row, "guest_id"), ""), string(row, "guest_name"),
          Objects.requireNonNullElse(longValue(row, "error_count"), 0L),
          Objects.requireNonNullElse(longValue(row, "warning_count"), 0L)));
    }
  }

  /** Xen version of the saving host, {@code major.minor}; ordered numerically, unknown last. */
  record XenVersion(Long major, Long minor) implements Comparable<XenVersion> {
    private static final Comparator<Long> NUM = Comparator.nullsLast(Comparator.naturalOrder());

    static XenVersion of(Long major, Long minor) {
      return new XenVersion(major, minor);
    }

    /** {@code 4.17}, {@code unknown} when the major version is null (and {@code 4.unknown} likewise). */
    String key() {
      if (major == null) {
        return "unknown";
      }
      return major + "." + (minor == null ? "unknown" : minor.toString());
    }

    /** {@link #key()}, saying what major version 0 means. */
    String label() {
      return major != null && major == 0 ? key() + " (converted legacy image)" : key();
    }

    @Override
    public int compareTo(XenVersion o) {
      int c = NUM.compare(major, o.major);
      return c != 0 ? c : NUM.compare(minor, o.minor);
    }
  }
}
