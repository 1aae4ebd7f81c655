package xenaudit.pipeline;

import java.io.PrintStream;
import java.util.Locale;
import xenaudit.transforms.ParseProgress;

/**
 * Every few seconds while the embedded runner works, one line on stderr: images done of the total,
 * GiB audited, images per second, time left. A daemon thread, stopped when the job ends.
 */
final class ProgressLine implements AutoCloseable {
  static final long PERIOD_MS = 3000;

  private final PrintStream err;
  private final long totalImages;
  private final long totalBytes;
  private final long start = System.nanoTime();
  private final Thread thread;
  private volatile boolean done;

  private ProgressLine(PrintStream err, long totalImages, long totalBytes) {
    this.err = err;
    this.totalImages = totalImages;
    this.totalBytes = totalBytes;
    this.thread = new Thread(this::loop, "xenaudit-progress");
    thread.setDaemon(true);
  }

  static ProgressLine start(PrintStream err, long totalImages, long totalBytes) {
    ParseProgress.reset();
    ProgressLine p = new ProgressLine(err, totalImages, totalBytes);
    p.thread.start();
    return p;
  }

  private void loop() {
    while (!done) {
      try {
        Thread.sleep(PERIOD_MS);
      } catch (InterruptedException e) {
        return;
      }
      if (!done) {
        err.println(line(ParseProgress.images(), ParseProgress.bytes(), (System.nanoTime() - start) / 1e9));
      }
    }
  }

  /** {@code xenaudit: 1234 of 100000 images, 12.3 of 800.0 GiB, 456 images/s, about 3m12s left}. */
  String line(long images, long bytes, double seconds) {
    double rate = seconds > 0 ? images / seconds : 0;
    String left = rate > 0 && images < totalImages ? ", about " + duration((totalImages - images) / rate) + " left" : "";
    return String.format(Locale.ROOT, "xenaudit: %d of %d images, %.1f of %.1f GiB, %.0f images/s%s", images,
        totalImages, bytes / (double) (1L << 30), totalBytes / (double) (1L << 30), rate, left);
  }

  static String duration(double seconds) {
    long s = Math.round(seconds);
    return s >= 3600 ? s / 3600 + "h" + (s % 3600) / 60 + "m" : s >= 60 ? s / 60 + "m" + s % 60 + "s" : s + "s";
  }

  @Override
  public void close() {
    done = true;
    thread.interrupt();
  }
}
