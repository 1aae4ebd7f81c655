package xenaudit.transforms;

import java.io.IOException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SeekableByteChannel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.apache.beam.sdk.io.Compression;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TupleTag;
import org.joda.time.Instant;
import xenaudit.compress.Decompression;
import xenaudit.format.ByteSource;
import xenaudit.format.Finding;
import xenaudit.format.ImageReader;
import xenaudit.format.ImageReport;
import xenaudit.format.ReadOptions;
import xenaudit.policy.FeatureSnapshot;
import xenaudit.policy.PoolBaseline;
import xenaudit.policy.SecurityIssue;
import xenaudit.transforms.io.S3RangedChannel;
import xenaudit.transforms.io.S3RangedReads;

/**
 * Audits one image with the format core, answers the policy questions about it and writes its rows
 * of every per-stream table straight into Parquet files of this bundle ({@link TableFiles}); what
 * goes downstream is small: the files' names ({@link #TABLE_FILES_OUT}), per-pool baseline
 * accumulators merged within the bundle ({@link #POOLS_OUT}), and with drift on a compact feature
 * snapshot per image ({@link #SNAPSHOTS_OUT}). No row waits in a runner's memory, so the heap does
 * not grow with the fleet.
 *
 * <p>It never throws for anything about the image: an object that cannot be opened or read still
 * yields its {@code streams} row, with status {@code unreadable} and a READ_ERROR finding saying
 * why. A failed write fails the bundle (and the job): a table is never published with rows missing.
 */
public class ParseImageFn extends DoFn<FileIO.ReadableFile, KV<String, String>> {
  /** (table, path of a finished temporary Parquet file). */
  public static final TupleTag<KV<String, String>> TABLE_FILES_OUT = new TupleTag<KV<String, String>>() {};
  /** (pool, baseline accumulator of this bundle's guests of that pool). */
  public static final TupleTag<KV<String, PoolBaseline>> POOLS_OUT = new TupleTag<KV<String, PoolBaseline>>() {};
  /** (guest_id, feature snapshot) per image, when drift is on. */
  public static final TupleTag<KV<String, FeatureSnapshot>> SNAPSHOTS_OUT =
      new TupleTag<KV<String, FeatureSnapshot>>() {};

  /** Counter namespace; the pipeline's summary reads these. */
  public static final String METRICS = "xenaudit";

  /** Counters per finding code, e.g. {@code TRUNCATED}. */
  public static final String FINDINGS_METRICS = "xenaudit.findings";
  /** Counters per finding severity: {@code error}, {@code warning}, {@code info}. */
  public static final String SEVERITY_METRICS = "xenaudit.severity";
  /** Counters {@code <issue>_<verdict>}, e.g. {@code taa_exposed}. */
  public static final String VERDICT_METRICS = "xenaudit.verdicts";

  /** Skip distance below which a remote object is read through instead of re-requested. */
  public static final long REMOTE_SEEK_THRESHOLD = 1 << 20;

  private final AuditSettings settings;
  private final String tempDirectory;
  private final Counter withPolicy = Metrics.counter(METRICS, "guests_with_policy");
  private final Counter bytesRead = Metrics.counter(METRICS, "bytes_read");
  private final Counter bytesAudited = Metrics.counter(METRICS, "bytes_audited");
  private final Counter bytesSkipped = Metrics.counter(METRICS, "bytes_skipped");
  private final Counter records = Metrics.counter(METRICS, "records");
  private final Counter s3Requests = Metrics.counter(METRICS, "s3_get_requests");
  private final Counter s3BytesFetched = Metrics.counter(METRICS, "s3_bytes_fetched");
  private final Counter withoutPool = Metrics.counter(METRICS, "guests_without_pool");
  private final Counter migrationCompatible = Metrics.counter(METRICS, "migration_compatible");
  private final Counter migrationBlocked = Metrics.counter(METRICS, "migration_blocked");
  private transient ReadOptions readOptions;
  private transient Pattern poolKey;
  /** Ranged-GET reader of s3:// objects, with this instance's S3 client; made on first use. */
  private transient S3RangedReads s3;
  private transient ExecutorService pool;
  private transient CompletionService<Parsed> parsed;
  private transient int pending;
  private transient List<Parsed> deferred;
  /** One per parse thread; a thread takes one to write an image's rows and gives it back. */
  private transient BlockingQueue<Writer> idleWriters;
  private transient List<Writer> writers;

  /**
   * @param tempDirectory where this step's Parquet files go before {@link PublishTables} moves
   *     them, ending in '/'
   */
  public ParseImageFn(AuditSettings settings, String tempDirectory) {
    this.settings = settings;
    this.tempDirectory = tempDirectory;
  }

  /** One image's rows go to one writer's files; its pool's accumulator lives there too. */
  private static final class Writer {
    final TableFiles files;
    final Map<String, PoolBaseline> pools = new HashMap<>();

    Writer(String tempDirectory) {
      files = new TableFiles(tempDirectory);
    }
  }

  /**
   * One audited image, its rows written, waiting for its metrics and small outputs to be emitted
   * in the window and at the time its element had.
   */
  private record Parsed(ImageAnalysis analysis, long s3Requests, long s3BytesFetched, FeatureSnapshot snapshot,
      Instant timestamp, BoundedWindow window) {}

  @Setup
  public void setup() {
    readOptions = ReadOptions.DEFAULTS.withMaxFindings(settings.maxFindings())
        .withReadPagePayload(settings.readPagePayload());
    poolKey = settings.poolKey() == null ? null : AuditSettings.poolPattern(settings.poolKey());
    if (settings.parseThreads() > 1) {
      AtomicInteger n = new AtomicInteger();
      pool = Executors.newFixedThreadPool(settings.parseThreads(), r -> {
        Thread t = new Thread(r, "xenaudit-parse-" + n.incrementAndGet());
        t.setDaemon(true);
        return t;
      });
    }
  }

  @StartBundle
  public void startBundle() {
    int n = settings.parseThreads();
    idleWriters = new ArrayBlockingQueue<>(n);
    writers = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      Writer w = new Writer(tempDirectory);
      writers.add(w);
      idleWriters.add(w);
    }
    if (pool != null) {
      parsed = new ExecutorCompletionService<>(pool);
      pending = 0;
      deferred = new ArrayList<>();
    }
  }

  @ProcessElement
  public void process(@Element FileIO.ReadableFile file, @Timestamp Instant timestamp, BoundedWindow window,
      MultiOutputReceiver out, PipelineOptions options) throws IOException, InterruptedException {
    boolean ranged = rangedS3(file, options);
    if (pool == null) {
      emit(parseAndWrite(file, ranged, timestamp, window), new ElementSink(out));
      return;
    }
    parsed.submit(() -> parseAndWrite(file, ranged, timestamp, window));
    pending++;
    // Emit what has finished, in completion order so one huge image holds nothing back; wait only
    // when enough images are in flight to keep every thread busy (memory stays bounded).
    for (Future<Parsed> done = parsed.poll(); done != null || pending >= 2 * settings.parseThreads();
        done = parsed.poll()) {
      Parsed p = result(done != null ? done : take());
      pending--;
      if (p.window().equals(window) && p.timestamp().equals(timestamp)) {
        emit(p, new ElementSink(out));
      } else {
        deferred.add(p); // another window or time: only FinishBundle can emit it there
      }
    }
  }

  @FinishBundle
  public void finishBundle(FinishBundleContext c) throws IOException {
    if (pool != null) {
      while (pending > 0) {
        deferred.add(result(take()));
        pending--;
      }
      for (Parsed p : deferred) {
        emit(p, new BundleSink(c, p.timestamp(), p.window()));
      }
      deferred.clear();
    }
    Instant end = GlobalWindow.INSTANCE.maxTimestamp();
    Map<String, PoolBaseline> pools = new HashMap<>();
    for (Writer w : writers) {
      for (KV<String, String> f : w.files.finish()) {
        c.output(TABLE_FILES_OUT, f, end, GlobalWindow.INSTANCE);
      }
      w.pools.forEach((k, v) -> pools.merge(k, v, PoolBaseline::merge));
    }
    pools.forEach((k, v) -> c.output(POOLS_OUT, KV.of(k, v), end, GlobalWindow.INSTANCE));
    writers = null;
    idleWriters = null;
  }

  @Teardown
  public void teardown() {
    if (pool != null) {
      pool.shutdownNow();
    }
    if (s3 != null) {
      s3.close();
      s3 = null;
    }
  }

  private Future<Parsed> take() {
    try {
      return parsed.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for image audits", e);
    }
  }

  private static Parsed result(Future<Parsed> f) {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for an image audit", e);
    } catch (ExecutionException e) {
      // Failures about the image become reports; this is a failed write or the JVM's (e.g. OOM).
      throw new IllegalStateException("image audit failed: " + e.getCause(), e.getCause());
    }
  }

  /** On a parse thread (or the runner's): audit, analyse, write the rows. */
  private Parsed parseAndWrite(FileIO.ReadableFile file, boolean ranged, Instant timestamp, BoundedWindow window)
      throws IOException, InterruptedException {
    String uri = file.getMetadata().resourceId().toString();
    boolean local = "file".equals(file.getMetadata().resourceId().getScheme());
    long threshold = settings.seekThreshold() >= 0 ? settings.seekThreshold() : local ? 0 : REMOTE_SEEK_THRESHOLD;
    ReadOptions options = readOptions.withSeekThreshold(threshold);
    long size = file.getMetadata().sizeBytes();
    ImageReport r;
    long requests = 0;
    long fetched = 0;
    if (!ranged) {
      r = audit(file, uri, options);
    } else {
      S3RangedChannel ch = s3.open(uri, size);
      try (ch) {
        r = ImageReader.read(uri, ch, options);
      } catch (IOException | RuntimeException e) {
        r = ImageReader.unreadable(uri, e, options);
      }
      requests = ch.requests();
      fetched = ch.bytesFetched();
    }
    ImageAnalysis a = ImageAnalysis.of(r, uri, size, settings.target(), poolKey);
    Writer w = idleWriters.take();
    try {
      ImageRows.write(w.files, a, settings.auditRunId());
      if (a.pool() != null) {
        w.pools.computeIfAbsent(a.pool(), k -> new PoolBaseline()).add(a.policy());
      }
    } finally {
      idleWriters.put(w);
    }
    ParseProgress.audited(size);
    FeatureSnapshot snapshot = settings.drift() ? FeatureSnapshot.of(uri, a.policy()) : null;
    return new Parsed(a, requests, fetched, snapshot, timestamp, window);
  }

  /**
   * Uncompressed s3:// objects, when page payload is skipped: read with bounded ranged GETs on this
   * instance's pooled S3 client ({@code --s3RangedReads=false} falls back to Beam's channel). The
   * client is made here, on the runner's thread, before any parse thread uses it.
   */
  private boolean rangedS3(FileIO.ReadableFile file, PipelineOptions options) {
    if (settings.readPagePayload()
        || file.getCompression() != Compression.UNCOMPRESSED
        || !S3RangedReads.handles(file.getMetadata().resourceId())
        || !S3RangedReads.enabled(options)) {
      return false;
    }
    if (s3 == null) {
      s3 = S3RangedReads.from(options);
    }
    return true;
  }

  /** Where an image's small outputs go: the element's receiver, or the bundle's context. */
  private interface Sink {
    void snapshot(KV<String, FeatureSnapshot> s);
  }

  private record ElementSink(MultiOutputReceiver out) implements Sink {
    @Override
    public void snapshot(KV<String, FeatureSnapshot> s) {
      out.get(SNAPSHOTS_OUT).output(s);
    }
  }

  private record BundleSink(FinishBundleContext c, Instant timestamp, BoundedWindow window) implements Sink {
    @Override
    public void snapshot(KV<String, FeatureSnapshot> s) {
      c.output(SNAPSHOTS_OUT, s, timestamp, window);
    }
  }

  /** Metrics and small outputs of one image; on the runner's thread, where Beam's metrics are recorded. */
  private void emit(Parsed p, Sink out) {
    ImageAnalysis a = p.analysis();
    ImageReport r = a.report();
    if (p.snapshot() != null) {
      out.snapshot(KV.of(a.guestId(), p.snapshot()));
    }
    Metrics.counter(METRICS, "images_" + r.status().label()).inc();
    bytesRead.inc(r.bytesRead());
    records.inc(r.records());
    if (r.sizeBytes() >= 0) {
      // Page payload passed over by position: what an audit that reads only headers saves.
      bytesAudited.inc(r.sizeBytes());
      bytesSkipped.inc(Math.max(0, r.sizeBytes() - r.bytesRead()));
    }
    s3Requests.inc(p.s3Requests());
    s3BytesFetched.inc(p.s3BytesFetched());
    if (!r.cpuid().isEmpty() || !r.msr().isEmpty()) {
      withPolicy.inc();
    }
    for (Finding f : r.findings()) {
      Metrics.counter(FINDINGS_METRICS, f.code().name()).inc();
      Metrics.counter(SEVERITY_METRICS, f.severity().name().toLowerCase(java.util.Locale.ROOT)).inc();
    }
    for (SecurityIssue i : SecurityIssue.values()) {
      Metrics.counter(VERDICT_METRICS, i.column() + "_" + a.security().assessment(i).verdict().label()).inc();
    }
    if (poolKey != null && a.pool() == null) {
      withoutPool.inc();
    }
    if (a.migration() != null) {
      (a.migration().compatible() ? migrationCompatible : migrationBlocked).inc();
    }
  }

  /**
   * Uncompressed objects are read through a seekable channel, so page payload is skipped by
   * position; compressed ones are streamed through the decompressor (offsets then refer to the
   * uncompressed stream). gzip and zstd are decompressed by {@link Decompression} straight from the
   * raw channel, which skips in large steps; Beam's decompressing channel would copy 8 KiB at a time.
   */
  static ImageReport audit(FileIO.ReadableFile file, String uri, ReadOptions options) {
    try {
      Compression compression = file.getCompression();
      if (compression == Compression.UNCOMPRESSED) {
        try (SeekableByteChannel ch = file.openSeekable()) {
          return ImageReader.read(uri, ch, options);
        }
      }
      Decompression decompression = compression == Compression.GZIP ? Decompression.GZIP
          : compression == Compression.ZSTD ? Decompression.ZSTD : null;
      if (decompression != null) {
        try (ReadableByteChannel ch = decompression.open(FileSystems.open(file.getMetadata().resourceId()))) {
          return ImageReader.read(uri, ByteSource.streaming(ch), options);
        }
      }
      try (ReadableByteChannel ch = file.open()) {
        return ImageReader.read(uri, ByteSource.streaming(ch), options);
      }
    } catch (IOException | RuntimeException e) {
      return ImageReader.unreadable(uri, e, options);
    }
  }
}
