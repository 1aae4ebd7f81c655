package xenaudit.transforms.io;

import java.io.IOException;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/** Ranged GETs of one object through the AWS SDK's S3 client (its pipeline, signer and pool). */
final class SdkRangeSource implements RangeSource {
  private final S3Client client;
  private final GetObjectRequest.Builder request;

  /**
   * @param request bucket, key and whatever else every GET carries (e.g. an SSE-C key); the range is
   *     set per request
   */
  SdkRangeSource(S3Client client, GetObjectRequest.Builder request) {
    this.client = client;
    this.request = request;
  }

  @Override
  public Body get(long from, long end) throws IOException {
    GetObjectRequest get = request.range("bytes=" + from + "-" + (end - 1)).build();
    ResponseInputStream<GetObjectResponse> response;
    try {
      response = client.getObject(get);
    } catch (SdkException e) {
      throw new IOException("GET " + describe() + " " + get.range() + ": " + e.getMessage(), e);
    }
    GetObjectResponse r = response.response();
    long length = r.contentLength() == null ? -1 : r.contentLength();
    if (!RangeCheck.matches(r.contentRange(), length, from, end)) {
      response.abort();
      response.close();
      throw RangeCheck.refused(describe(), from, end, r.contentRange(), length);
    }
    return new Body() {
      @Override
      public int read(byte[] into, int off, int len) throws IOException {
        try {
          return response.read(into, off, len);
        } catch (SdkException e) {
          throw new IOException(e.getMessage(), e);
        }
      }

      @Override
      public void release() throws IOException {
        response.close();
      }

      @Override
      public void abort() throws IOException {
        response.abort();
        response.close();
      }
    };
  }

  @Override
  public String describe() {
    GetObjectRequest r = request.build();
    return "s3://" + r.bucket() + "/" + r.key();
  }
}
