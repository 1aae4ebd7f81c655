package xenaudit.transforms.io;

import org.apache.beam.sdk.io.aws2.common.HttpClientConfiguration;
import org.apache.beam.sdk.io.aws2.options.S3Options;
import org.apache.beam.sdk.io.aws2.s3.DefaultS3ClientBuilderFactory;
import org.apache.beam.sdk.io.aws2.s3.S3FileSystemConfiguration;
import org.apache.beam.sdk.io.aws2.s3.SSECustomerKey;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.options.PipelineOptions;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;

/**
 * Opens {@link S3RangedChannel}s on one pooled client: xenaudit's own ({@link LeanS3Client}) by
 * default, or the AWS SDK's, built from the pipeline options exactly as Beam's S3 filesystem builds
 * its own ({@link S3FileSystemConfiguration#fromS3Options}: the {@code --s3ClientFactoryClass}
 * factory, region, endpoint, credentials, HTTP settings). One per DoFn instance; its connection pool
 * is what makes bounded GETs cheap. Thread-safe.
 */
public final class S3RangedReads implements AutoCloseable {
  /** Headers (16 B) and PFN array (8 KiB for 1024 pages) of a full PAGE_DATA record fit in one GET. */
  public static final int DEFAULT_READ_AHEAD = 16 * 1024;

  private final S3Client sdk;
  private final LeanS3Client lean;
  private final SSECustomerKey sseCustomerKey;
  private final int readAhead;

  /** GETs through the SDK's client. */
  public S3RangedReads(S3Client client, SSECustomerKey sseCustomerKey, int readAhead) {
    this(client, null, sseCustomerKey, readAhead);
  }

  /** GETs through xenaudit's own HTTP client. */
  public S3RangedReads(LeanS3Client client, SSECustomerKey sseCustomerKey, int readAhead) {
    this(null, client, sseCustomerKey, readAhead);
  }

  private S3RangedReads(S3Client sdk, LeanS3Client lean, SSECustomerKey sseCustomerKey, int readAhead) {
    if (readAhead < 1) {
      throw new IllegalArgumentException("--s3ReadAhead must be at least 1, got " + readAhead);
    }
    this.sdk = sdk;
    this.lean = lean;
    this.sseCustomerKey = sseCustomerKey;
    this.readAhead = readAhead;
  }

  /** The client and settings the options ask for. */
  public static S3RangedReads from(PipelineOptions options) {
    S3Options s3 = options.as(S3Options.class);
    S3ReadOptions read = options.as(S3ReadOptions.class);
    S3FileSystemConfiguration config = S3FileSystemConfiguration.fromS3Options(s3);
    if (leanUsable(options)) {
      String region = s3.getAwsRegion() != null ? s3.getAwsRegion().id() : new DefaultAwsRegionProviderChain().getRegion().id();
      LeanS3Client client = new LeanS3Client(s3.getEndpoint(), region, read.getS3PathStyle(), s3.getAwsCredentialsProvider());
      HttpClientConfiguration http = s3.getHttpClientConfiguration();
      if (http != null) {
        // The same options the SDK's client takes: a stalled server is a timeout, then a retry.
        client.withTimeouts(http.connectionTimeout(), http.socketTimeout() != null ? http.socketTimeout() : http.readTimeout());
      }
      return new S3RangedReads(client, config.getSSECustomerKey(), read.getS3ReadAhead());
    }
    return new S3RangedReads(config.getS3ClientBuilder().build(), config.getSSECustomerKey(), read.getS3ReadAhead());
  }

  /**
   * Whether GETs go through {@link LeanS3Client}: asked for ({@code --s3LeanGets}, the default) and
   * nothing configured that only the SDK's client honours: a proxy, or an {@code
   * --s3ClientFactoryClass} of the user's own (xenaudit's path-style factory only sets what the lean
   * client does too).
   */
  public static boolean leanUsable(PipelineOptions options) {
    S3Options s3 = options.as(S3Options.class);
    Class<?> factory = s3.getS3ClientFactoryClass();
    return options.as(S3ReadOptions.class).getS3LeanGets()
        && s3.getProxyConfiguration() == null
        && (factory == null || factory == DefaultS3ClientBuilderFactory.class
            || factory.getName().equals("xenaudit.pipeline.PathStyleS3ClientBuilderFactory"));
  }

  /** Whether {@code options} ask for ranged reads at all. */
  public static boolean enabled(PipelineOptions options) {
    return options.as(S3ReadOptions.class).getS3RangedReads();
  }

  /** Whether {@code object} is one this class can open: an {@code s3://} object. */
  public static boolean handles(ResourceId object) {
    return "s3".equals(object.getScheme());
  }

  /** Whether GETs go through xenaudit's own HTTP client rather than the SDK's. */
  public boolean lean() {
    return lean != null;
  }

  /**
   * Opens {@code s3://bucket/key} of {@code size} bytes. Nothing is requested until the first read.
   */
  public S3RangedChannel open(String uri, long size) {
    if (!uri.startsWith("s3://") || uri.indexOf('/', 5) < 6) {
      throw new IllegalArgumentException("not an s3://bucket/key URI: " + uri);
    }
    int slash = uri.indexOf('/', 5);
    String bucket = uri.substring(5, slash);
    String key = uri.substring(slash + 1);
    SSECustomerKey sse = sseCustomerKey == null || sseCustomerKey.getKey() == null ? null : sseCustomerKey;
    if (lean != null) {
      return new S3RangedChannel(lean.object(bucket, key,
          sse == null ? null : LeanS3Client.SseCustomerKey.of(sse.getAlgorithm(), sse.getKey(), sse.getMD5())), size, readAhead);
    }
    // The same SSE-C parameters Beam's own S3 channel sends with every GET.
    GetObjectRequest.Builder get = GetObjectRequest.builder()
        .bucket(bucket)
        .key(key)
        .sseCustomerKey(sse == null ? null : sse.getKey())
        .sseCustomerAlgorithm(sse == null ? null : sse.getAlgorithm());
    return new S3RangedChannel(new SdkRangeSource(sdk, get), size, readAhead);
  }

  @Override
  public void close() {
    if (sdk != null) {
      sdk.close();
    } else {
      lean.close();
    }
  }
}
