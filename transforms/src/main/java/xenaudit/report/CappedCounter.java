package xenaudit.report;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Counts per category for categories that come from the data (Xen versions, containers, finding
 * codes, features): {@code width} counters per category (e.g. present / absent / unknown), at most
 * {@code cap} categories kept, the smallest by their natural order, and every count of the others
 * summed in {@link #other()}. Which categories are kept does not depend on the order rows arrive in:
 * when a smaller one shows up while full, the greatest kept one is folded into {@code other}, and
 * later rows of a category greater than every kept one go there too. Memory is O(cap × width)
 * whatever the fleet size.
 */
final class CappedCounter<K extends Comparable<K>> {
  /** One kept category and its exact counts. */
  record Entry<K>(K key, long[] counts) {
    long count() {
      return counts[0];
    }

    long sum() {
      long s = 0;
      for (long c : counts) {
        s += c;
      }
      return s;
    }
  }

  private final int cap;
  private final int width;
  private final TreeMap<K, long[]> counts = new TreeMap<>();
  private final long[] other;
  private final long[] total;

  CappedCounter(int cap) {
    this(cap, 1);
  }

  CappedCounter(int cap, int width) {
    if (cap < 1 || width < 1) {
      throw new IllegalArgumentException("cap " + cap + ", width " + width);
    }
    this.cap = cap;
    this.width = width;
    this.other = new long[width];
    this.total = new long[width];
  }

  void add(K key) {
    add(key, 0, 1);
  }

  /** Adds {@code n} to counter {@code slot} of {@code key}. */
  void add(K key, int slot, long n) {
    total[slot] += n;
    long[] c = counts.get(key);
    if (c == null) {
      if (counts.size() >= cap) {
        if (key.compareTo(counts.lastKey()) > 0) {
          other[slot] += n;
          return;
        }
        Map.Entry<K, long[]> evicted = counts.pollLastEntry();
        for (int i = 0; i < width; i++) {
          other[i] += evicted.getValue()[i];
        }
      }
      c = new long[width];
      counts.put(key, c);
    }
    c[slot] += n;
  }

  /** Counter 0 of {@code key}, 0 when not kept. */
  long get(K key) {
    return get(key, 0);
  }

  long get(K key, int slot) {
    long[] c = counts.get(key);
    return c == null ? 0 : c[slot];
  }

  /** Counter 0 of the categories not kept (0 while at most {@code cap} were seen). */
  long other() {
    return other[0];
  }

  long other(int slot) {
    return other[slot];
  }

  /** Counter 0 summed over every category, kept or not. */
  long total() {
    return total[0];
  }

  long total(int slot) {
    return total[slot];
  }

  int size() {
    return counts.size();
  }

  /** The kept categories in key order (counts copied). */
  List<Entry<K>> byKey() {
    List<Entry<K>> l = new ArrayList<>(counts.size());
    counts.forEach((k, v) -> l.add(new Entry<>(k, v.clone())));
    return Collections.unmodifiableList(l);
  }

  /** The kept categories, greatest counter 0 first, ties in key order. */
  List<Entry<K>> byCount() {
    List<Entry<K>> l = new ArrayList<>(byKey());
    l.sort(Comparator.comparingLong((Entry<K> e) -> e.count()).reversed().thenComparing(Entry::key));
    return l;
  }
}
