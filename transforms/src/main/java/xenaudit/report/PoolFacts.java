package xenaudit.report;

import static xenaudit.report.ParquetTable.longValue;
import static xenaudit.report.ParquetTable.string;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.TreeMap;
import org.apache.avro.generic.GenericRecord;

/**
 * What the report says of {@code pool_baseline}: per pool (at most {@code poolLimit}, the smallest
 * names), its guests, the features of its baseline and those only some of its guests have.
 */
final class PoolFacts {
  static final List<String> COLUMNS = List.of("pool", "feature", "present", "guest_count", "guests_with_feature");

  /** One pool as the report shows it. */
  static final class Pool {
    final String name;
    long guestCount;
    long baseline;
    long partial;
    long features;
    final SmallestK<Partial> partialFeatures;

    Pool(String name, int listLimit) {
      this.name = name;
      this.partialFeatures = new SmallestK<>(listLimit, PARTIAL_ORDER);
    }
  }

  /** A feature only some guests of a pool have. */
  record Partial(String feature, long guestsWithFeature) {}

  static final Comparator<Partial> PARTIAL_ORDER =
      Comparator.comparing(Partial::feature).thenComparingLong(Partial::guestsWithFeature);

  private final int poolLimit;
  private final int featureListLimit;
  private final TreeMap<String, Pool> pools = new TreeMap<>();
  /** Rows per feature: every pool has one row per feature, so the greatest is the number of pools. */
  private final CappedCounter<String> rowsPerFeature = new CappedCounter<>(ReportFacts.FEATURE_CAP);
  long rows;

  PoolFacts(int poolLimit, int featureListLimit) {
    this.poolLimit = poolLimit;
    this.featureListLimit = featureListLimit;
  }

  void add(GenericRecord row) {
    rows++;
    String name = Objects.requireNonNullElse(string(row, "pool"), "");
    String feature = Objects.requireNonNullElse(string(row, "feature"), "");
    rowsPerFeature.add(feature);
    Pool p = pools.get(name);
    if (p == null) {
      if (pools.size() >= poolLimit) {
        if (name.compareTo(pools.lastKey()) > 0) {
          return;
        }
        pools.pollLastEntry();
      }
      p = new Pool(name, featureListLimit);
      pools.put(name, p);
    }
    long guests = Objects.requireNonNullElse(longValue(row, "guest_count"), 0L);
    long with = Objects.requireNonNullElse(longValue(row, "guests_with_feature"), 0L);
    p.guestCount = Math.max(p.guestCount, guests);
    p.features++;
    if (Boolean.TRUE.equals(row.get("present"))) {
      p.baseline++;
    }
    if (with > 0 && with < guests) {
      p.partial++;
      p.partialFeatures.offer(new Partial(feature, with));
    }
  }

  /** The pools shown, by name. */
  List<Pool> shown() {
    return new ArrayList<>(pools.values());
  }

  /** Pools in the table: the greatest number of rows any feature has (one per pool), at least those shown. */
  long total() {
    long max = 0;
    for (CappedCounter.Entry<String> e : rowsPerFeature.byKey()) {
      max = Math.max(max, e.count());
    }
    return Math.max(max, pools.size());
  }
}
