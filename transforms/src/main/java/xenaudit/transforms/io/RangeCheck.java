package xenaudit.transforms.io;

import java.io.IOException;

/**
 * Whether a response to {@code Range: bytes=from-(end-1)} carries those bytes. A server that ignores
 * {@code Range} answers with the whole object, whose bytes would be taken for the ones asked for.
 */
final class RangeCheck {
  private RangeCheck() {}

  /**
   * @param contentRange the {@code Content-Range} header, or null
   * @param length the {@code Content-Length}, or -1 when absent
   */
  static boolean matches(String contentRange, long length, long from, long end) {
    return (length == -1 || length == end - from)
        && (contentRange == null || contentRange.startsWith("bytes " + from + "-" + (end - 1) + "/"))
        && (contentRange != null || from == 0);
  }

  static IOException refused(String object, long from, long end, String contentRange, long length) {
    return new IOException("GET " + object + " bytes=" + from + "-" + (end - 1) + " answered with "
        + (contentRange == null ? "no Content-Range" : "Content-Range " + contentRange) + " and "
        + (length == -1 ? "no Content-Length" : length + " bytes")
        + ": the server does not honour ranged reads (try --s3RangedReads=false)");
  }
}
