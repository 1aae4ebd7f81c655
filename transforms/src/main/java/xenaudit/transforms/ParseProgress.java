package xenaudit.transforms;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Images and bytes audited so far in this JVM, for a progress line on the embedded runner, where
 * the parse step runs beside the driver: Beam's metrics of a bundle are committed only when the
 * bundle ends, and on the DirectRunner the whole fleet is one bundle. On a cluster the workers'
 * counts never reach the driver; the job's metrics at the end are what counts there.
 */
public final class ParseProgress {
  private static final AtomicLong IMAGES = new AtomicLong();
  private static final AtomicLong BYTES = new AtomicLong();

  private ParseProgress() {}

  static void audited(long sizeBytes) {
    IMAGES.incrementAndGet();
    BYTES.addAndGet(Math.max(0, sizeBytes));
  }

  /** Starts counting a new job from zero. */
  public static void reset() {
    IMAGES.set(0);
    BYTES.set(0);
  }

  public static long images() {
    return IMAGES.get();
  }

  /** Sizes of the objects audited (as listed; compressed size for compressed objects). */
  public static long bytes() {
    return BYTES.get();
  }
}
