package xenaudit.transforms.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;

/**
 * A read-only S3 object as a {@link SeekableByteChannel} that fetches it in <em>bounded</em> ranged
 * GETs ({@code Range: bytes=a-b}), so every response can be read to its end and its HTTP connection
 * goes back to the client's pool.
 *
 * <p>Beam's own S3 channel answers every reposition with a new open-ended GET ({@code bytes=p-})
 * and aborts the old one, which drops its connection: on an image that is a TCP (and TLS) handshake
 * per skipped page batch. Here:
 *
 * <ul>
 *   <li>a read at a position no open response covers issues GET [p, p + window), window = the larger
 *       of the bytes asked for and the read-ahead, capped at the end of the object;
 *   <li>a read continuing exactly where the previous response ended (sequential reading) doubles the
 *       window, up to {@link #MAX_WINDOW}; a reposition resets it to the read-ahead;
 *   <li>a reposition forward inside the open response is served by reading through it (those bytes
 *       are on the wire already); anywhere else the rest of the response is drained (at most {@link
 *       #DRAIN_LIMIT}, else it is aborted) and the next read starts a new bounded GET.
 * </ul>
 *
 * <p>Whether a short skip should become a reposition at all is decided by the caller ({@code
 * ByteSource}'s seek threshold reads through skips below it). Memory is one fixed buffer per channel
 * whatever the object's size; nothing is allocated per read. The size is the one the listing
 * reported (no HEAD request). Not thread-safe, as channels go.
 */
public final class S3RangedChannel implements SeekableByteChannel {
  /** Largest GET a run of sequential reads grows to. */
  public static final int MAX_WINDOW = 8 << 20;

  /** Unread bytes of a response above which it is aborted (connection lost) rather than drained. */
  public static final int DRAIN_LIMIT = 1 << 20;

  private static final int CHUNK = 64 * 1024;

  private final RangeSource source;
  private final long size;
  private final int readAhead;
  private final byte[] chunk = new byte[CHUNK];
  private long requests;
  private long bytesFetched;
  private long aborted;

  private boolean open = true;
  private long position;

  private RangeSource.Body response;
  /** Object offset of the next byte {@link #response} yields. */
  private long responsePos;
  /** Object offset one past the last byte {@link #response} yields. */
  private long responseEnd;
  /** Size of the next GET started where the last one ended. */
  private long nextWindow;
  /** Body failures since the last byte received. */
  private int bodyFailures;
  private long resumed;
  static final int BODY_RESUMES = 3;

  /**
   * @param source where the object's ranges come from
   * @param size the object's size in bytes, as listed
   * @param readAhead smallest GET after a reposition, in bytes
   */
  public S3RangedChannel(RangeSource source, long size, int readAhead) {
    if (size < 0 || readAhead < 1) {
      throw new IllegalArgumentException("size " + size + ", readAhead " + readAhead);
    }
    this.source = source;
    this.size = size;
    this.readAhead = readAhead;
    this.nextWindow = readAhead;
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    ensureOpen();
    if (!dst.hasRemaining()) {
      return 0;
    }
    if (position >= size) {
      return -1;
    }
    int total = 0;
    while (dst.hasRemaining() && position < size) {
      if (response == null || position != responsePos) {
        boolean caughtUp;
        try {
          caughtUp = catchUp();
        } catch (IOException e) {
          resumeAfter(e);
          continue;
        }
        if (!caughtUp) {
          request(position, dst.remaining()); // the client retries its own request failures
        }
      }
      int want = (int) Math.min(dst.remaining(), responseEnd - responsePos);
      int n;
      try {
        if (dst.hasArray()) {
          n = readResponse(dst.array(), dst.arrayOffset() + dst.position(), want);
          dst.position(dst.position() + n);
        } else {
          n = readResponse(chunk, 0, Math.min(want, CHUNK));
          dst.put(chunk, 0, n);
        }
      } catch (IOException e) {
        resumeAfter(e);
        continue;
      }
      bodyFailures = 0;
      position += n;
      total += n;
      if (responsePos == responseEnd) {
        finishResponse(); // read to its end: its connection goes back to the pool
      }
    }
    return total;
  }

  /**
   * A response body that broke off (a reset, a body shorter than its length) is asked for again
   * from where it stopped, after a pause, up to {@link #BODY_RESUMES} times in a row; then the read
   * fails with the last cause. The object's size is known, so a body cut short is never taken for
   * the object's end.
   */
  private void resumeAfter(IOException e) throws IOException {
    RangeSource.Body r = response;
    response = null;
    if (r != null) {
      try {
        r.abort();
      } catch (IOException | RuntimeException ignored) {
        // the connection is gone either way
      }
    }
    if (++bodyFailures > BODY_RESUMES) {
      throw new IOException(e.getMessage() + " (after " + BODY_RESUMES + " resumed GETs)", e);
    }
    resumed++;
    try {
      Thread.sleep(100L << (bodyFailures - 1));
    } catch (InterruptedException ie) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted while resuming " + source.describe());
    }
  }

  /**
   * Moves the open response forward to {@link #position} when it covers it, by reading through.
   *
   * @return whether the open response now yields the byte at {@link #position}
   */
  private boolean catchUp() throws IOException {
    if (response == null) {
      return false;
    }
    if (position > responsePos && position < responseEnd) {
      while (responsePos < position) {
        readResponse(chunk, 0, (int) Math.min(CHUNK, position - responsePos));
      }
      return true;
    }
    closeResponse();
    return false;
  }

  /** Starts GET [from, from + window) where window is at least {@code wanted} bytes. */
  private void request(long from, int wanted) throws IOException {
    long window = Math.max(wanted, from == responseEnd && from > 0 ? nextWindow : readAhead);
    nextWindow = Math.min(MAX_WINDOW, Math.max(readAhead, window) * 2L);
    long end = Math.min(size, from + window);
    response = source.get(from, end);
    requests++;
    responsePos = from;
    responseEnd = end;
  }

  private int readResponse(byte[] into, int off, int len) throws IOException {
    int n;
    try {
      n = response.read(into, off, len);
    } catch (IOException e) {
      throw new IOException("reading " + source.describe() + " at " + responsePos + ": " + e.getMessage(), e);
    }
    if (n < 0) {
      throw new IOException("S3 response for " + source.describe() + " ended at " + responsePos
          + " before the end of its range (" + responseEnd + "): object changed or connection lost");
    }
    responsePos += n;
    bytesFetched += n;
    return n;
  }

  /** Releases a response read to its end. */
  private void finishResponse() throws IOException {
    RangeSource.Body r = response;
    response = null;
    r.release();
  }

  /** Drops the open response's connection instead of handing it back to the pool. */
  private void abortResponse() throws IOException {
    RangeSource.Body r = response;
    response = null;
    aborted++;
    r.abort();
  }

  /** Gives up the open response: drained when little of it is left, else aborted. */
  private void closeResponse() throws IOException {
    if (response == null) {
      return;
    }
    long left = responseEnd - responsePos;
    if (left > DRAIN_LIMIT) {
      abortResponse();
      return;
    }
    try {
      while (responsePos < responseEnd) {
        readResponse(chunk, 0, (int) Math.min(CHUNK, responseEnd - responsePos));
      }
    } finally {
      RangeSource.Body r = response;
      response = null;
      if (r != null && responsePos < responseEnd) {
        r.abort(); // the drain failed: do not hand a half-read connection back
      } else if (r != null) {
        r.release();
      }
    }
  }

  @Override
  public long position() throws IOException {
    ensureOpen();
    return position;
  }

  /** Positions past the end are allowed (reads there return -1); nothing is requested until a read. */
  @Override
  public SeekableByteChannel position(long newPosition) throws IOException {
    ensureOpen();
    if (newPosition < 0) {
      throw new IllegalArgumentException("negative position " + newPosition);
    }
    position = newPosition;
    return this;
  }

  @Override
  public long size() throws IOException {
    ensureOpen();
    return size;
  }

  @Override
  public boolean isOpen() {
    return open;
  }

  @Override
  public void close() throws IOException {
    if (!open) {
      return;
    }
    open = false;
    closeResponse();
  }

  /** GET requests this channel issued. */
  public long requests() {
    return requests;
  }

  /** Bytes this channel received, including read-ahead drained unused. */
  public long bytesFetched() {
    return bytesFetched;
  }

  /** GETs this channel sent again because a response body broke off. */
  public long resumed() {
    return resumed;
  }

  /** Responses this channel aborted (connection dropped) because too much of them was left. */
  public long aborted() {
    return aborted;
  }

  @Override
  public int write(ByteBuffer src) {
    throw new NonWritableChannelException();
  }

  @Override
  public SeekableByteChannel truncate(long newSize) {
    throw new NonWritableChannelException();
  }

  private void ensureOpen() throws ClosedChannelException {
    if (!open) {
      throw new ClosedChannelException();
    }
  }
}
