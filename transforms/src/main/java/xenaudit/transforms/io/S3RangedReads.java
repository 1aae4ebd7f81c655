package xenaudit.transforms.io;

import org.apache.beam.sdk.io.aws2.options.S3Options;
import org.apache.beam.sdk.io.aws2.s3.S3FileSystemConfiguration;
import org.apache.beam.sdk.io.aws2.s3.SSECustomerKey;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.options.PipelineOptions;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;

/**
 * Opens {@link S3RangedChannel}s on one S3 client, built from the pipeline options exactly as Beam's
 * S3 filesystem builds its own ({@link S3FileSystemConfiguration#fromS3Options}: the {@code
 * --s3ClientFactoryClass} factory, region, endpoint, credentials, HTTP settings). One per DoFn
 * instance; its connection pool is what makes bounded GETs cheap. Thread-safe.
 */
public final class S3RangedReads implements AutoCloseable {
  /** Headers (16 B) and PFN array (8 KiB for 1024 pages) of a full PAGE_DATA record fit in one GET. */
  public static final int DEFAULT_READ_AHEAD = 16 * 1024;

  private final S3Client client;
  private final SSECustomerKey sseCustomerKey;
  private final int readAhead;

  public S3RangedReads(S3Client client, SSECustomerKey sseCustomerKey, int readAhead) {
    if (readAhead < 1) {
      throw new IllegalArgumentException("--s3ReadAhead must be at least 1, got " + readAhead);
    }
    this.client = client;
    this.sseCustomerKey = sseCustomerKey;
    this.readAhead = readAhead;
  }

  /** The client and settings the options ask for. */
  public static S3RangedReads from(PipelineOptions options) {
    S3FileSystemConfiguration config = S3FileSystemConfiguration.fromS3Options(options.as(S3Options.class));
    return new S3RangedReads(
        config.getS3ClientBuilder().build(), config.getSSECustomerKey(), options.as(S3ReadOptions.class).getS3ReadAhead());
  }

  /** Whether {@code options} ask for ranged reads at all. */
  public static boolean enabled(PipelineOptions options) {
    return options.as(S3ReadOptions.class).getS3RangedReads();
  }

  /** Whether {@code object} is one this class can open: an {@code s3://} object. */
  public static boolean handles(ResourceId object) {
    return "s3".equals(object.getScheme());
  }

  /**
   * Opens {@code s3://bucket/key} of {@code size} bytes. Nothing is requested until the first read.
   */
  public S3RangedChannel open(String uri, long size) {
    if (!uri.startsWith("s3://") || uri.indexOf('/', 5) < 6) {
      throw new IllegalArgumentException("not an s3://bucket/key URI: " + uri);
    }
    int slash = uri.indexOf('/', 5);
    // The same SSE-C parameters Beam's own S3 channel sends with every GET.
    GetObjectRequest.Builder get = GetObjectRequest.builder()
        .bucket(uri.substring(5, slash))
        .key(uri.substring(slash + 1))
        .sseCustomerKey(sseCustomerKey == null ? null : sseCustomerKey.getKey())
        .sseCustomerAlgorithm(sseCustomerKey == null ? null : sseCustomerKey.getAlgorithm());
    return new S3RangedChannel(client, get, size, readAhead);
  }

  @Override
  public void close() {
    client.close();
  }
}
