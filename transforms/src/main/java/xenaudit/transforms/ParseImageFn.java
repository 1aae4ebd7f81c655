package xenaudit.transforms;

import java.io.IOException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SeekableByteChannel;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.io.Compression;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.TupleTag;
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
  private final Counter withPolicy = Metrics.counter(METRICS, "guests_with_policy");
  private final Counter bytesRead = Metrics.counter(METRICS, "bytes_read");
  private final Counter s3Requests = Metrics.counter(METRICS, "s3_get_requests");
  private final Counter s3BytesFetched = Metrics.counter(METRICS, "s3_bytes_fetched");
  private transient ReadOptions readOptions;
  /** Ranged-GET reader of s3:// objects, with this instance's S3 client; made on first use. */
  private transient S3RangedReads s3;

  /** Skip distance below which a remote object is read through instead of re-requested. */
  public static final long REMOTE_SEEK_THRESHOLD = 1 << 20;

  public ParseImageFn(String auditRunId, int maxFindings) {
    this(auditRunId, maxFindings, false, -1);
  }

  /**
   * @param readPagePayload read and checksum every page instead of skipping page payload
   * @param seekThreshold skips shorter than this read through instead of seeking; -1 = 0 for local
   *     files, {@link #REMOTE_SEEK_THRESHOLD} for object storage
   */
  public ParseImageFn(String auditRunId, int maxFindings, boolean readPagePayload, long seekThreshold) {
    this.auditRunId = auditRunId;
    this.maxFindings = maxFindings;
    this.readPagePayload = readPagePayload;
    this.seekThreshold = seekThreshold;
  }

  @Setup
  public void setup() {
    readOptions = ReadOptions.DEFAULTS.withMaxFindings(maxFindings).withReadPagePayload(readPagePayload);
  }

  @Teardown
  public void teardown() {
    if (s3 != null) {
      s3.close();
      s3 = null;
    }
  }

  @ProcessElement
  public void process(@Element FileIO.ReadableFile file, MultiOutputReceiver out, PipelineOptions options) {
    String uri = file.getMetadata().resourceId().toString();
    boolean local = "file".equals(file.getMetadata().resourceId().getScheme());
    long threshold = seekThreshold >= 0 ? seekThreshold : local ? 0 : REMOTE_SEEK_THRESHOLD;
    ImageReport r = rangedS3(file, options)
        ? auditRanged(file, uri, readOptions.withSeekThreshold(threshold))
        : audit(file, uri, readOptions.withSeekThreshold(threshold));
    out.get(STREAMS_OUT).output(ImageRows.stream(r, uri, file.getMetadata().sizeBytes(), auditRunId));
    ImageRows.cpuid(r, uri).forEach(out.get(CPUID_OUT)::output);
    ImageRows.msr(r, uri).forEach(out.get(MSR_OUT)::output);
    ImageRows.findings(r, uri).forEach(out.get(FINDINGS_OUT)::output);

    Metrics.counter(METRICS, "images_" + r.status().label()).inc();
    bytesRead.inc(r.bytesRead());
    if (!r.cpuid().isEmpty() || !r.msr().isEmpty()) {
      withPolicy.inc();
    }
    for (Finding f : r.findings()) {
      Metrics.counter(FINDINGS_METRICS, f.code().name()).inc();
    }
  }

  /**
   * Uncompressed s3:// objects, when page payload is skipped: read with bounded ranged GETs on this
   * instance's pooled S3 client ({@code --s3RangedReads=false} falls back to Beam's channel).
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

  private ImageReport auditRanged(FileIO.ReadableFile file, String uri, ReadOptions options) {
    S3RangedChannel ch = s3.open(uri, file.getMetadata().sizeBytes());
    try (ch) {
      return ImageReader.read(uri, ch, options);
    } catch (IOException | RuntimeException e) {
      return ImageReader.unreadable(uri, e, options);
    } finally {
      s3Requests.inc(ch.requests());
      s3BytesFetched.inc(ch.bytesFetched());
    }
  }

  /**
   * Uncompressed objects are read through a seekable channel, so page payload is skipped by
   * position; compressed ones are streamed through the decompressor (offsets then refer to the
   * uncompressed stream).
   */
  static ImageReport audit(FileIO.ReadableFile file, String uri, ReadOptions options) {
    try {
      if (file.getCompression() == Compression.UNCOMPRESSED) {
        try (SeekableByteChannel ch = file.openSeekable()) {
          return ImageReader.read(uri, ch, options);
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
