package xenaudit.report;

import static xenaudit.report.ParquetTable.longValue;
import static xenaudit.report.ParquetTable.string;

import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.avro.generic.GenericRecord;

/**
 * What the report says of {@code migration_check} and {@code migration_blockers}: guests that can
 * and cannot move to the target, the most frequent blockers, and the first blocked guests with what
 * blocks them (the listed guests are known before the blockers are read).
 */
final class MigrationFacts {
  static final List<String> CHECK_COLUMNS =
      List.of("guest_id", "source_uri", "target", "compatible", "blocker_count", "non_blocking_features");
  static final List<String> BLOCKER_COLUMNS = List.of("guest_id", "source_uri", "target", "kind", "feature");
  static final int COMPATIBLE = 0;
  static final int BLOCKED = 1;

  /** A guest that cannot move. */
  record BlockedGuest(String guestId, String sourceUri, String target, long blockerCount) {
    Key key() {
      return new Key(guestId, sourceUri, target);
    }
  }

  record Key(String guestId, String sourceUri, String target) {}

  static final Comparator<BlockedGuest> ORDER = Comparator.comparing(BlockedGuest::guestId)
      .thenComparing(BlockedGuest::sourceUri)
      .thenComparing(BlockedGuest::target)
      .thenComparingLong(BlockedGuest::blockerCount);

  /** A blocker: its kind and, for kind feature, the feature. */
  record Blocker(String kind, String feature) implements Comparable<Blocker> {
    /** The feature's name for kind feature, else the kind (with the feature, should a row have both). */
    String label() {
      if (feature == null) {
        return kind;
      }
      return kind.equals("feature") ? feature : kind + " " + feature;
    }

    /** Xen's own checks (vendor, max leaves, MSRs) before features, since a guest's list may be cut short. */
    private int rank() {
      return switch (kind) {
        case "vendor" -> 0;
        case "max_leaf" -> 1;
        case "msr" -> 2;
        case "feature" -> 3;
        default -> 4;
      };
    }

    @Override
    public int compareTo(Blocker o) {
      int c = Integer.compare(rank(), o.rank());
      if (c == 0) {
        c = kind.compareTo(o.kind);
      }
      return c != 0 ? c : Comparator.nullsFirst(Comparator.<String>naturalOrder()).compare(feature, o.feature);
    }
  }

  /** Per target: guests compatible (slot 0) and blocked (slot 1). */
  final CappedCounter<String> targets = new CappedCounter<>(ReportFacts.CATEGORY_CAP, 2);
  final CappedCounter<Blocker> blockers = new CappedCounter<>(ReportFacts.CODE_CAP);
  final SmallestK<BlockedGuest> blocked;
  long withNonBlocking;
  private final int blockersPerGuest;
  private Map<Key, SmallestK<Blocker>> listedBlockers = Map.of();

  MigrationFacts(int listLimit, int blockersPerGuest) {
    this.blocked = new SmallestK<>(listLimit, ORDER);
    this.blockersPerGuest = blockersPerGuest;
  }

  void addCheck(GenericRecord row) {
    String target = Objects.requireNonNullElse(string(row, "target"), "");
    boolean ok = Boolean.TRUE.equals(row.get("compatible"));
    targets.add(target, ok ? COMPATIBLE : BLOCKED, 1);
    String nonBlocking = string(row, "non_blocking_features");
    if (nonBlocking != null && !nonBlocking.isEmpty()) {
      withNonBlocking++;
    }
    if (!ok) {
      blocked.offer(new BlockedGuest(Objects.requireNonNullElse(string(row, "guest_id"), ""),
          Objects.requireNonNullElse(string(row, "source_uri"), ""), target,
          Objects.requireNonNullElse(longValue(row, "blocker_count"), 0L)));
    }
  }

  /** Call once every check row is in, before the blockers. */
  void checksDone() {
    listedBlockers = new HashMap<>();
    for (BlockedGuest g : blocked.sorted()) {
      listedBlockers.put(g.key(), new SmallestK<Blocker>(blockersPerGuest, Comparator.<Blocker>naturalOrder()));
    }
  }

  void addBlocker(GenericRecord row) {
    Blocker b = new Blocker(Objects.requireNonNullElse(string(row, "kind"), ""), string(row, "feature"));
    blockers.add(b);
    if (!listedBlockers.isEmpty()) {
      SmallestK<Blocker> l = listedBlockers.get(new Key(Objects.requireNonNullElse(string(row, "guest_id"), ""),
          Objects.requireNonNullElse(string(row, "source_uri"), ""),
          Objects.requireNonNullElse(string(row, "target"), "")));
      if (l != null) {
        l.offer(b);
      }
    }
  }

  long compatible() {
    return targets.total(COMPATIBLE);
  }

  long blockedCount() {
    return targets.total(BLOCKED);
  }

  /** The first blockers (by kind, then feature) of a listed guest, with how many there are. */
  SmallestK<Blocker> blockersOf(BlockedGuest g) {
    return listedBlockers.get(g.key());
  }
}
