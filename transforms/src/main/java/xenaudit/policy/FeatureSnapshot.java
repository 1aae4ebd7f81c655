package xenaudit.policy;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import xenaudit.format.CpuFeature;

/**
 * A guest's features in one run, as compact as they go (two bits per feature: known, present),
 * for comparing runs: what drift needs of a guest, without its ~290 rows.
 *
 * <p>A guest with several objects in one run is represented by the greatest {@code sourceUri}; the
 * feature rows of one object may arrive in parts, which {@link #merge} puts together.
 */
public final class FeatureSnapshot implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final int WORDS = (Features.count() + 63) / 64;

  private final String sourceUri;
  private final long[] known;
  private final long[] present;

  private FeatureSnapshot(String sourceUri, long[] known, long[] present) {
    this.sourceUri = sourceUri;
    this.known = known;
    this.present = present;
  }

  /** Every feature of the policy (unknown ones stay unknown). */
  public static FeatureSnapshot of(String sourceUri, CpuPolicy p) {
    FeatureSnapshot s = empty(sourceUri);
    List<CpuFeature> all = Features.all();
    for (int i = 0; i < all.size(); i++) {
      s.set(i, p.present(all.get(i)));
    }
    return s;
  }

  /** No feature known yet (an object whose rows are still to come, or one without a policy). */
  public static FeatureSnapshot empty(String sourceUri) {
    return new FeatureSnapshot(sourceUri, new long[WORDS], new long[WORDS]);
  }

  /** For coders: the words of the two bit sets, as {@link #knownBits} and {@link #presentBits} gave them. */
  public static FeatureSnapshot fromBits(String sourceUri, long[] known, long[] present) {
    if (known.length != WORDS || present.length != WORDS) {
      throw new IllegalArgumentException("a snapshot has " + WORDS + " words per bit set, not " + known.length
          + " and " + present.length + " (a different feature table?)");
    }
    return new FeatureSnapshot(sourceUri, known.clone(), present.clone());
  }

  public long[] knownBits() {
    return known.clone();
  }

  public long[] presentBits() {
    return present.clone();
  }

  /** Sets feature {@code index} ({@link Features#all()} order); null leaves it unknown. */
  public void set(int index, Boolean value) {
    if (value == null) {
      return;
    }
    known[index >>> 6] |= 1L << index;
    if (value) {
      present[index >>> 6] |= 1L << index;
    }
  }

  public Boolean get(int index) {
    if ((known[index >>> 6] >>> index & 1) == 0) {
      return null;
    }
    return (present[index >>> 6] >>> index & 1) != 0;
  }

  public String sourceUri() {
    return sourceUri;
  }

  /**
   * The snapshot of the greater source URI; for the same object, the parts put together. Either
   * argument may be null.
   */
  public static FeatureSnapshot merge(FeatureSnapshot a, FeatureSnapshot b) {
    if (a == null || b == null) {
      return a == null ? b : a;
    }
    int c = a.sourceUri.compareTo(b.sourceUri);
    if (c != 0) {
      return c > 0 ? a : b;
    }
    long[] k = new long[WORDS];
    long[] p = new long[WORDS];
    for (int i = 0; i < WORDS; i++) {
      k[i] = a.known[i] | b.known[i];
      p[i] = a.present[i] | b.present[i];
    }
    return new FeatureSnapshot(a.sourceUri, k, p);
  }

  /** One changed feature: {@code appeared} (false → true) or {@code disappeared} (true → false). */
  public record Change(String feature, String change) {}

  /** Features known in both runs whose value differs, in table order. */
  public static List<Change> changes(FeatureSnapshot previous, FeatureSnapshot current) {
    List<Change> out = new ArrayList<>();
    List<CpuFeature> all = Features.all();
    for (int i = 0; i < all.size(); i++) {
      Boolean before = previous.get(i);
      Boolean now = current.get(i);
      if (before != null && now != null && !before.equals(now)) {
        out.add(new Change(Features.name(all.get(i)), now ? "appeared" : "disappeared"));
      }
    }
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FeatureSnapshot s && sourceUri.equals(s.sourceUri) && Arrays.equals(known, s.known)
        && Arrays.equals(present, s.present);
  }

  @Override
  public int hashCode() {
    return sourceUri.hashCode() * 31 + Arrays.hashCode(present);
  }
}
