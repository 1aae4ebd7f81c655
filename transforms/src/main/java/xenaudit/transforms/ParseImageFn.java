package xenaudit.transforms;

import java.io.IOException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SeekableByteChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.io.Compression;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.TupleTag;
import org.joda.time.Instant;
import xenaudit.compress.Decompression;
import xenaudit.format.ByteSource;
import xenaudit.format.Finding;
import xenaudit.format.ImageReader;
import xenaudit.format.ImageReport;
import xenaudit.format.ReadOptions;
import xenaudit.transforms.io.S3RangedChannel;
import xenaudit.transforms.io.S3RangedReads;

/**
 * Audits one image with the format core and emits its rows on four outputs. It never throws for
 * anything about the image: an object that cannot be opened or read still yields its {@code
 * streams} row, with status {@code unreadable} and a READ_ERROR finding saying why.
 */
public class ParseImageFn extends DoFn<FileIO.ReadableFile, GenericRecord> {
  public static final TupleTag<GenericRecord> STREAMS_OUT = new TupleTag<GenericRecord>() {};
  public static final TupleTag<GenericRecord> CPUID_OUT = new TupleTag<GenericRecord>() {};
  public static final TupleTag<GenericRecord> MSR_OUT = new TupleTag<GenericRecord>() {};
  public static final TupleTag<GenericRecord> FINDINGS_OUT = new TupleTag<GenericRecord>() {};

  /** Counter namespace; the pipeline's summary reads these. */
  public static final String METRICS = "xenaudit";

  public static final String FINDINGS_METRICS = "xenaudit.findings";

  private final String auditRunId;
  private final int maxFindings;
  private final boolean readPagePayload;
  private final long seekThreshold;
  private final int parseThreads;
  private final Counter withPolicy = Metrics.counter(METRICS, "guests_with_policy");
  private final Counter bytesRead = Metrics.counter(METRICS, "bytes_read");
  private final Counter s3Requests = Metrics.counter(METRICS, "s3_get_requests");
  private final Counter s3BytesFetched = Metrics.counter(METRICS, "s3_bytes_fetched");
  private transient ReadOptions readOptions;
  /** Ranged-GET reader of s3:// objects, with this instance's S3 client; made on first use. */
  private transient S3RangedReads s3;
  private transient ExecutorService pool;
  private transient CompletionService<Parsed> parsed;
  private transient int pending;
  private transient List<Parsed> deferred;

  /** Skip distance below which a remote object is read through instead of re-requested. */
  public static final long REMOTE_SEEK_THRESHOLD = 1 << 20;

  public ParseImageFn(String auditRunId, int maxFindings) {
    this(auditRunId, maxFindings, false, -1, 1);
  }

  /**
   * @param readPagePayload read and checksum every page instead of skipping page payload
   * @param seekThreshold skips shorter than this read through instead of seeking; -1 = 0 for local
   *     files, {@link #REMOTE_SEEK_THRESHOLD} for object storage
   * @param parseThreads images audited at once by this DoFn instance; 1 = on the runner's thread.
   *     More is for runners that give a worker one thread but spin others (the DirectRunner).
   */
  public ParseImageFn(String auditRunId, int maxFindings, boolean readPagePayload, long seekThreshold,
      int parseThreads) {
    this.auditRunId = auditRunId;
    this.maxFindings = maxFindings;
    this.readPagePayload = readPagePayload;
    this.seekThreshold = seekThreshold;
    this.parseThreads = parseThreads;
  }

  /** One audited image, waiting to be emitted in the window and at the time its element had. */
  private record Parsed(ImageReport report, String uri, long sizeBytes, long s3Requests, long s3BytesFetched,
      Instant timestamp, BoundedWindow window) {}

  @Setup
  public void setup() {
    readOptions = ReadOptions.DEFAULTS.withMaxFindings(maxFindings).withReadPagePayload(readPagePayload);
    if (parseThreads > 1) {
      AtomicInteger n = new AtomicInteger();
      pool = Executors.newFixedThreadPool(parseThreads, r -> {
        Thread t = new Thread(r, "xenaudit-parse-" + n.incrementAndGet());
        t.setDaemon(true);
        return t;
      });
    }
  }

  @StartBundle
  public void startBundle() {
    if (pool != null) {
      parsed = new ExecutorCompletionService<>(pool);
      pending = 0;
      deferred = new ArrayList<>();
    }
  }

  @ProcessElement
  public void process(@Element FileIO.ReadableFile file, @Timestamp Instant timestamp, BoundedWindow window,
      MultiOutputReceiver out, PipelineOptions options) {
    boolean ranged = rangedS3(file, options);
    if (pool == null) {
      emit(parse(file, ranged, timestamp, window), (tag, row) -> out.get(tag).output(row));
      return;
    }
    parsed.submit(() -> parse(file, ranged, timestamp, window));
    pending++;
    // Emit what has finished, in completion order so one huge image holds nothing back; wait only
    // when enough reports are in flight to keep every thread busy (memory stays bounded).
    for (Future<Parsed> done = parsed.poll(); done != null || pending >= 2 * parseThreads;
        done = parsed.poll()) {
      Parsed p = result(done != null ? done : take());
      pending--;
      if (p.window().equals(window) && p.timestamp().equals(timestamp)) {
        emit(p, (tag, row) -> out.get(tag).output(row));
      } else {
        deferred.add(p); // another window or time: only FinishBundle can emit it there
      }
    }
  }

  @FinishBundle
  public void finishBundle(FinishBundleContext c) {
    if (pool == null) {
      return;
    }
    while (pending > 0) {
      deferred.add(result(take()));
      pending--;
    }
    for (Parsed p : deferred) {
      emit(p, (tag, row) -> c.output(tag, row, p.timestamp(), p.window()));
    }
    deferred.clear();
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
      // audit() turns every failure about the image into a report; this is the JVM's (e.g. OOM).
      throw new IllegalStateException("image audit failed", e.getCause());
    }
  }

  private Parsed parse(FileIO.ReadableFile file, boolean ranged, Instant timestamp, BoundedWindow window) {
    String uri = file.getMetadata().resourceId().toString();
    boolean local = "file".equals(file.getMetadata().resourceId().getScheme());
    long threshold = seekThreshold >= 0 ? seekThreshold : local ? 0 : REMOTE_SEEK_THRESHOLD;
    ReadOptions options = readOptions.withSeekThreshold(threshold);
    long size = file.getMetadata().sizeBytes();
    if (!ranged) {
      return new Parsed(audit(file, uri, options), uri, size, 0, 0, timestamp, window);
    }
    S3RangedChannel ch = s3.open(uri, size);
    ImageReport r;
    try (ch) {
      r = ImageReader.read(uri, ch, options);
    } catch (IOException | RuntimeException e) {
      r = ImageReader.unreadable(uri, e, options);
    }
    return new Parsed(r, uri, size, ch.requests(), ch.bytesFetched(), timestamp, window);
  }

  /**
   * Uncompressed s3:// objects, when page payload is skipped: read with bounded ranged GETs on this
   * instance's pooled S3 client ({@code --s3RangedReads=false} falls back to Beam's channel). The
   * client is made here, on the runner's thread, before any parse thread uses it.
   */
  private boolean rangedS3(FileIO.ReadableFile file, PipelineOptions options) {
    if (readPagePayload
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

  /** Where rows go: the element's receiver, or the bundle's context with a window and time. */
  private interface RowSink {
    void output(TupleTag<GenericRecord> tag, GenericRecord row);
  }

  /** Rows and metrics of one image; on the runner's thread, where Beam's metrics are recorded. */
  private void emit(Parsed p, RowSink out) {
    ImageReport r = p.report();
    out.output(STREAMS_OUT, ImageRows.stream(r, p.uri(), p.sizeBytes(), auditRunId));
    ImageRows.cpuid(r, p.uri()).forEach(row -> out.output(CPUID_OUT, row));
    ImageRows.msr(r, p.uri()).forEach(row -> out.output(MSR_OUT, row));
    ImageRows.findings(r, p.uri()).forEach(row -> out.output(FINDINGS_OUT, row));

    Metrics.counter(METRICS, "images_" + r.status().label()).inc();
    bytesRead.inc(r.bytesRead());
    s3Requests.inc(p.s3Requests());
    s3BytesFetched.inc(p.s3BytesFetched());
    if (!r.cpuid().isEmpty() || !r.msr().isEmpty()) {
      withPolicy.inc();
    }
    for (Finding f : r.findings()) {
      Metrics.counter(FINDINGS_METRICS, f.code().name()).inc();
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
