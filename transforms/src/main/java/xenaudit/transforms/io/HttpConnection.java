package xenaudit.transforms.io;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * One HTTP/1.1 client connection, one request at a time: writes a request head, parses the
 * response head, hands out its body (framed by {@code Content-Length}, chunked, or by the end of
 * the connection). Only what a ranged S3 GET needs: no redirects, no 1xx, no pipelining. Not
 * thread-safe.
 *
 * <p>A response head is read into a fixed buffer of {@link #HEAD_LIMIT} bytes; a longer head is
 * refused, so a hostile server cannot make it grow. Body bytes that arrived with the head are served
 * from the buffer, the rest straight from the socket into the caller's array.
 */
final class HttpConnection implements Closeable {
  /** Largest response head (status line and headers) accepted. */
  static final int HEAD_LIMIT = 16 * 1024;

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;
  private final byte[] buf = new byte[HEAD_LIMIT];
  private int pos;
  private int lim;
  private int requests;

  private int status;
  private String reason;
  private long contentLength;
  private String contentRange;
  /** The response's Date header (the server's clock), or null. */
  private String date;
  /** x-amz-bucket-region: where S3 says the bucket is (on a redirect), or null. */
  private String bucketRegion;
  private boolean closeAfter;
  private Framing framing = Framing.LENGTH;
  /** Bytes left of the body (LENGTH) or of the current chunk (CHUNKED). */
  private long bodyLeft;
  /** A chunk was read to its end: its CRLF comes before the next size line. */
  private boolean chunkEnded;
  private boolean bodyDone = true;

  /** How the response body's end is found. */
  private enum Framing {
    LENGTH,
    CHUNKED,
    /** No Content-Length, not chunked: the body ends when the server closes the connection. */
    UNTIL_CLOSE
  }

  private HttpConnection(Socket socket) throws IOException {
    this.socket = socket;
    this.in = socket.getInputStream();
    this.out = socket.getOutputStream();
  }

  /** @param tls null for plain HTTP, else the factory of the TLS sockets (it decides whom to trust) */
  static HttpConnection open(String host, int port, SSLSocketFactory tls, int connectTimeoutMillis,
      int readTimeoutMillis) throws IOException {
    Socket plain = new Socket();
    try {
      plain.setTcpNoDelay(true);
      plain.setKeepAlive(true);
      plain.connect(new InetSocketAddress(host, port), connectTimeoutMillis);
      plain.setSoTimeout(readTimeoutMillis);
      if (tls == null) {
        return new HttpConnection(plain);
      }
      SSLSocket s = (SSLSocket) tls.createSocket(plain, host, port, true);
      SSLParameters p = s.getSSLParameters();
      p.setEndpointIdentificationAlgorithm("HTTPS"); // the certificate must name the host
      s.setSSLParameters(p);
      s.startHandshake();
      return new HttpConnection(s);
    } catch (IOException | RuntimeException e) {
      plain.close();
      throw e;
    }
  }

  /** Requests sent on this connection so far (more than one: it came from the pool). */
  int requests() {
    return requests;
  }

  /** Sends a request head (a GET has no body) and reads the response head. */
  void exchange(byte[] head) throws IOException {
    if (!bodyDone || pos != lim) {
      throw new IllegalStateException("previous response not read to its end");
    }
    requests++;
    out.write(head);
    out.flush();
    readHead();
  }

  private void readHead() throws IOException {
    pos = 0;
    lim = 0;
    int end;
    int scanned = 0;
    while ((end = headEnd(scanned)) < 0) {
      scanned = Math.max(0, lim - 3);
      if (lim == buf.length) {
        throw new IOException("HTTP response head longer than " + HEAD_LIMIT + " bytes");
      }
      int n = in.read(buf, lim, buf.length - lim);
      if (n < 0) {
        throw new EOFException(lim == 0 ? "connection closed before a response" : "connection closed in a response head");
      }
      lim += n;
    }
    parseHead(end);
    pos = end;
  }

  /** Offset one past the blank line ending the head, looking from {@code from} on, or -1. */
  private int headEnd(int from) {
    for (int i = Math.max(3, from); i < lim; i++) {
      if (buf[i] == '\n' && buf[i - 1] == '\r' && buf[i - 2] == '\n' && buf[i - 3] == '\r') {
        return i + 1;
      }
    }
    return -1;
  }

  private void parseHead(int end) throws IOException {
    String head = new String(buf, 0, end, StandardCharsets.ISO_8859_1);
    int eol = head.indexOf("\r\n");
    String statusLine = head.substring(0, eol);
    if (!statusLine.startsWith("HTTP/1.") || statusLine.length() < 12 || statusLine.charAt(8) != ' ') {
      throw new IOException("not an HTTP/1.x response: " + printable(statusLine));
    }
    try {
      status = Integer.parseInt(statusLine.substring(9, 12));
    } catch (NumberFormatException e) {
      throw new IOException("bad HTTP status line: " + printable(statusLine));
    }
    reason = statusLine.length() > 13 ? statusLine.substring(13) : "";
    contentLength = -1;
    contentRange = null;
    date = null;
    bucketRegion = null;
    closeAfter = statusLine.startsWith("HTTP/1.0");
    boolean chunked = false;
    int at = eol + 2;
    while (at < end - 2) {
      int next = head.indexOf("\r\n", at);
      int colon = head.indexOf(':', at);
      if (colon < 0 || colon > next) {
        throw new IOException("bad HTTP header line: " + printable(head.substring(at, next)));
      }
      String name = head.substring(at, colon).trim();
      String value = head.substring(colon + 1, next).trim();
      if (name.equalsIgnoreCase("Content-Length")) {
        try {
          contentLength = Long.parseLong(value);
        } catch (NumberFormatException e) {
          throw new IOException("bad Content-Length: " + printable(value));
        }
        if (contentLength < 0) {
          throw new IOException("bad Content-Length: " + printable(value));
        }
      } else if (name.equalsIgnoreCase("Content-Range")) {
        contentRange = value;
      } else if (name.equalsIgnoreCase("Date")) {
        date = value;
      } else if (name.equalsIgnoreCase("x-amz-bucket-region")) {
        bucketRegion = value;
      } else if (name.equalsIgnoreCase("Connection")) {
        closeAfter |= value.equalsIgnoreCase("close");
      } else if (name.equalsIgnoreCase("Transfer-Encoding")) {
        chunked = !value.equalsIgnoreCase("identity");
      }
      at = next + 2;
    }
    chunkEnded = false;
    if (chunked) {
      framing = Framing.CHUNKED; // a Content-Length beside it is to be ignored (RFC 9112, 6.3)
      contentLength = -1;
      bodyLeft = 0;
      bodyDone = false;
    } else if (contentLength >= 0) {
      framing = Framing.LENGTH;
      bodyLeft = contentLength;
      bodyDone = contentLength == 0;
    } else {
      framing = Framing.UNTIL_CLOSE;
      closeAfter = true;
      bodyDone = false;
    }
  }

  int status() {
    return status;
  }

  String reason() {
    return reason;
  }

  /** {@code Content-Length} of the current response. */
  long contentLength() {
    return contentLength;
  }

  /** {@code Content-Range} of the current response, or null. */
  String bucketRegion() {
    return bucketRegion;
  }

  String date() {
    return date;
  }

  String contentRange() {
    return contentRange;
  }

  /** Reads up to {@code len} body bytes; -1 at the end of the body or when the server hung up early. */
  int readBody(byte[] into, int off, int len) throws IOException {
    if (bodyDone) {
      return -1;
    }
    if (len == 0) {
      return 0;
    }
    if (framing == Framing.CHUNKED && bodyLeft == 0 && !nextChunk()) {
      return -1;
    }
    int want = framing == Framing.UNTIL_CLOSE ? len : (int) Math.min(len, bodyLeft);
    int n = raw(into, off, want);
    if (n < 0) {
      closeAfter = true;
      bodyDone = true;
      return -1; // LENGTH/CHUNKED: cut short; the caller knows how much it expected
    }
    if (framing != Framing.UNTIL_CLOSE) {
      bodyLeft -= n;
      if (bodyLeft == 0) {
        bodyDone = framing == Framing.LENGTH;
        chunkEnded = framing == Framing.CHUNKED;
      }
    }
    return n;
  }

  /** Reads the next chunk's size line; false (and the body done) at the last, empty chunk. */
  private boolean nextChunk() throws IOException {
    if (chunkEnded && !line().isEmpty()) {
      throw new IOException("HTTP chunk not followed by CRLF");
    }
    chunkEnded = false;
    String size = line();
    int semicolon = size.indexOf(';');
    String hex = (semicolon < 0 ? size : size.substring(0, semicolon)).trim();
    long n;
    try {
      n = hex.length() > 15 ? -1 : Long.parseLong(hex, 16);
    } catch (NumberFormatException e) {
      n = -1;
    }
    if (n < 0) {
      throw new IOException("bad HTTP chunk size: " + printable(size));
    }
    if (n == 0) {
      while (!line().isEmpty()) {
        // trailer fields: not used
      }
      bodyDone = true;
      return false;
    }
    bodyLeft = n;
    return true;
  }

  /** One CRLF-terminated line of the body framing, without its CRLF; at most {@link #HEAD_LIMIT} bytes. */
  private String line() throws IOException {
    int scanned = pos;
    while (true) {
      for (int i = Math.max(pos + 1, scanned); i < lim; i++) {
        if (buf[i] == '\n' && buf[i - 1] == '\r') {
          String l = new String(buf, pos, i - 1 - pos, StandardCharsets.ISO_8859_1);
          pos = i + 1;
          return l;
        }
      }
      if (pos > 0) {
        System.arraycopy(buf, pos, buf, 0, lim - pos);
        lim -= pos;
        pos = 0;
      }
      scanned = lim;
      if (lim == buf.length) {
        throw new IOException("HTTP chunk line longer than " + HEAD_LIMIT + " bytes");
      }
      int n = in.read(buf, lim, buf.length - lim);
      if (n < 0) {
        closeAfter = true;
        throw new EOFException("connection closed in a chunked body");
      }
      lim += n;
    }
  }

  /** Bytes from what is buffered, else straight from the socket. */
  private int raw(byte[] into, int off, int len) throws IOException {
    if (pos < lim) {
      int n = Math.min(len, lim - pos);
      System.arraycopy(buf, pos, into, off, n);
      pos += n;
      return n;
    }
    return in.read(into, off, len);
  }

  /**
   * After the last byte wanted: reads what ends a chunked body (the last, empty chunk and
   * trailers), so the connection can be reused. A body with more data left stays undone.
   */
  void finishFraming() throws IOException {
    if (!bodyDone && framing == Framing.CHUNKED && bodyLeft == 0 && nextChunk()) {
      closeAfter = true; // more data than was asked for: never reuse
    }
  }

  /** Whether the body has been read to its end. */
  boolean bodyDone() {
    return bodyDone;
  }

  /** The body as text, up to {@code cap} bytes (an error document); the rest, if any, is left unread. */
  String readSmallBody(int cap) throws IOException {
    byte[] b = new byte[cap];
    int n = 0;
    while (n < b.length) {
      int r = readBody(b, n, b.length - n);
      if (r < 0) {
        break;
      }
      n += r;
    }
    return new String(b, 0, n, StandardCharsets.UTF_8);
  }

  /** Whether this connection can carry another request: its response was read whole and kept alive. */
  boolean reusable() {
    return !closeAfter && bodyDone && pos == lim && !socket.isClosed();
  }

  @Override
  public void close() {
    closeAfter = true;
    try {
      socket.close();
    } catch (IOException ignored) {
      // nothing left to release
    }
  }

  private static String printable(String s) {
    String t = s.length() > 200 ? s.substring(0, 200) + "..." : s;
    return t.replaceAll("[^\\x20-\\x7e]", "?");
  }
}
