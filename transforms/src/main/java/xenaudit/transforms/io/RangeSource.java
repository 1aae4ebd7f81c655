package xenaudit.transforms.io;

import java.io.IOException;

/**
 * Bounded ranged reads of one object, one response at a time: what {@link S3RangedChannel} fetches
 * through. Implemented over the AWS SDK's client ({@link SdkRangeSource}) and over xenaudit's own
 * HTTP/1.1 client ({@link LeanS3Client}).
 */
public interface RangeSource {
  /**
   * Starts a GET of bytes [from, end) of the object, 0 &lt;= from &lt; end &lt;= its size. A response
   * that does not carry exactly those bytes (a server ignoring {@code Range}) is refused here.
   */
  Body get(long from, long end) throws IOException;

  /** {@code s3://bucket/key}, for messages. */
  String describe();

  /** The bytes of one response, in order. */
  interface Body {
    /** Reads up to {@code len} bytes; -1 when the response ended before its range did. */
    int read(byte[] into, int off, int len) throws IOException;

    /** The body was read to its end: its connection may serve the next request. */
    void release() throws IOException;

    /** The rest of the body is not wanted: its connection is dropped, never reused half-read. */
    void abort() throws IOException;
  }
}
