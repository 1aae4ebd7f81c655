package xenaudit.pipeline;

import org.apache.beam.sdk.io.aws2.options.S3ClientBuilderFactory;
import org.apache.beam.sdk.io.aws2.options.S3Options;
import org.apache.beam.sdk.io.aws2.s3.DefaultS3ClientBuilderFactory;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.endpoints.S3EndpointProvider;

/**
 * Beam's S3 client, plus what S3-compatible servers need: path-style addressing when {@code
 * --s3PathStyle} is set, and no {@code x-amz-server-side-encryption-bucket-key-enabled: false}
 * header (Beam always sends it; MinIO-like servers and s3proxy answer 501 to it, AWS treats the
 * header's absence the same as false); and the SDK's endpoint rules evaluated once per bucket, not per
 * request ({@link MemoizingS3EndpointProvider}), which matters for the audit's one ranged GET per
 * skipped page batch.
 */
public class PathStyleS3ClientBuilderFactory implements S3ClientBuilderFactory {
  static final String BUCKET_KEY_HEADER = "x-amz-server-side-encryption-bucket-key-enabled";

  @Override
  public S3ClientBuilder createBuilder(S3Options options) {
    S3ClientBuilder builder = new DefaultS3ClientBuilderFactory().createBuilder(options);
    boolean pathStyle = options.as(AuditOptions.class).getS3PathStyle();
    return builder
        .forcePathStyle(pathStyle)
        .endpointProvider(new MemoizingS3EndpointProvider(S3EndpointProvider.defaultProvider()))
        .overrideConfiguration(c -> c.addExecutionInterceptor(new DropFalseBucketKeyHeader()));
  }

  static final class DropFalseBucketKeyHeader implements ExecutionInterceptor {
    @Override
    public SdkHttpRequest modifyHttpRequest(Context.ModifyHttpRequest context, ExecutionAttributes attributes) {
      SdkHttpRequest request = context.httpRequest();
      return request.firstMatchingHeader(BUCKET_KEY_HEADER).filter("false"::equalsIgnoreCase).isPresent()
          ? request.toBuilder().removeHeader(BUCKET_KEY_HEADER).build()
          : request;
    }
  }
}
