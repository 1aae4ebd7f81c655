package xenaudit.transforms;

import java.io.IOException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SeekableByteChannel;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.io.Compression;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.TupleTag;
import xenaudit.compress.Decompression;
import xenaudit.format.ByteSource;
import xenaudit.format.Finding;
import xenaudit.format.ImageReader;
import xenaudit.format.ImageReport;
import xenaudit.format.ReadOptions;

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
  private transient ReadOptions readOptions;

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

  @ProcessElement
  public void process(@Element FileIO.ReadableFile file, MultiOutputReceiver out) {
    String uri = file.getMetadata().resourceId().toString();
    boolean local = "file".equals(file.getMetadata().resourceId().getScheme());
    long threshold = seekThreshold >= 0 ? seekThreshold : local ? 0 : REMOTE_SEEK_THRESHOLD;
    ImageReport r = audit(file, uri, readOptions.withSeekThreshold(threshold));
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
