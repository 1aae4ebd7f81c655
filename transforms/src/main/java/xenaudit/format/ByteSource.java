package xenaudit.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SeekableByteChannel;

/**
 * Sequential reader over an image channel that knows its logical position and counts the bytes it
 * really transferred.
 *
 * <p>Reads are exact: it never reads ahead, so skipping a page payload costs nothing on a seekable
 * channel (a reposition) and a bounded read-and-discard on any other (compressed input, pipes).
 * Every read checks the end of input and reports a short read instead of blocking or throwing.
 */
public final class ByteSource {
  /** Scratch for skipping on non-seekable channels; never holds data that is looked at. */
  private static final int DISCARD_CHUNK = 64 * 1024;

  private final ReadableByteChannel channel;
  private final SeekableByteChannel seekable;
  /** A local file is read with positional reads: a skip is then arithmetic, not an lseek. */
  private final FileChannel file;
  private final long size;
  private final long origin;
  private long position;
  private long bytesRead;
  private ByteBuffer discard;
  /** Bytes given back by {@link #unread}; served before the channel. */
  private byte[] pending = new byte[0];

  /** Skip by reading even when the channel could seek: the full-read (integrity) mode. */
  private boolean readThrough;

  /** Skips shorter than this are read through even on a seekable channel (object storage). */
  private long seekThreshold;

  private int pendingPos;

  private ByteSource(ReadableByteChannel channel, SeekableByteChannel seekable, long size, long origin) {
    this.channel = channel;
    this.seekable = seekable;
    this.file = seekable instanceof FileChannel f ? f : null;
    this.size = size;
    this.origin = origin;
  }

  /**
   * Wraps a channel positioned at the start of the image. A {@link SeekableByteChannel} is skipped
   * by position and its size bounds every length; any other channel is skipped by reading.
   */
  public static ByteSource of(ReadableByteChannel channel) throws IOException {
    if (channel instanceof SeekableByteChannel s) {
      return new ByteSource(channel, s, s.size() - s.position(), s.position());
    }
    return new ByteSource(channel, null, -1, 0);
  }

  /** Wraps a non-seekable channel (e.g. a decompressor) whose uncompressed size is unknown. */
  public static ByteSource streaming(ReadableByteChannel channel) {
    return new ByteSource(channel, null, -1, 0);
  }

  /** Logical offset from the start of the image. */
  public long position() {
    return position;
  }

  /** Bytes transferred from the channel (skips on a seekable channel transfer nothing). */
  public long bytesRead() {
    return bytesRead;
  }

  /** Size of the image in bytes, or -1 when the channel cannot tell. */
  public long size() {
    return size;
  }

  /** Bytes left before the end of input, or {@link Long#MAX_VALUE} when the size is unknown. */
  public long remaining() {
    return size < 0 ? Long.MAX_VALUE : size - position;
  }

  /**
   * Fills {@code dst} from its position to its limit.
   *
   * @return false when the input ended first; {@code dst} then holds what there was
   */
  public boolean readFully(ByteBuffer dst) throws IOException {
    if (pendingPos < pending.length && dst.hasRemaining()) {
      int n = Math.min(dst.remaining(), pending.length - pendingPos);
      dst.put(pending, pendingPos, n);
      pendingPos += n;
      position += n;
    }
    if (size >= 0 && position >= size) {
      return !dst.hasRemaining(); // skipped to the end: never touch the channel past it
    }
    while (dst.hasRemaining()) {
      int n = transfer(dst);
      if (n < 0) {
        return false;
      }
      if (n == 0 && seekable == null) {
        // A non-blocking channel with nothing ready would spin; images are read from blocking ones.
        Thread.onSpinWait();
      }
      position += n;
      bytesRead += n;
    }
    return true;
  }

  /**
   * Skips {@code n} bytes.
   *
   * @return the bytes skipped; fewer than {@code n} only at the end of input
   */
  public long skip(long n) throws IOException {
    if (n <= 0) {
      return 0;
    }
    if (pendingPos < pending.length) {
      int k = (int) Math.min(n, pending.length - pendingPos);
      pendingPos += k;
      position += k;
      return k + skip(n - k);
    }
    if (seekable != null && !readThrough && n >= seekThreshold) {
      long step = Math.min(n, remaining());
      position += step;
      if (file == null && position < size) {
        // Some channels (S3) refuse a position at their very end; nothing is read there anyway.
        seekable.position(origin + position);
      }
      return step;
    }
    if (channel instanceof SkippableChannel s) {
      long got = s.skip(n);
      position += got;
      bytesRead += got;
      return got;
    }
    if (discard == null) {
      discard = ByteBuffer.allocate(DISCARD_CHUNK);
    }
    long left = n;
    while (left > 0) {
      discard.clear().limit((int) Math.min(DISCARD_CHUNK, left));
      int got = transfer(discard);
      if (got < 0) {
        break;
      }
      position += got;
      bytesRead += got;
      left -= got;
    }
    return n - left;
  }

  private int transfer(ByteBuffer dst) throws IOException {
    return file != null ? file.read(dst, origin + position) : channel.read(dst);
  }

  /** Skips shorter than {@code bytes} read through instead of repositioning the channel. */
  void seekThreshold(long bytes) {
    seekThreshold = bytes;
  }

  /** Makes every skip read the bytes it passes (so a full-read audit really reads every byte). */
  void readThrough(boolean on) {
    readThrough = on;
  }

  /**
   * Gives back the bytes just read, so the container probe can hand the whole header to the
   * layer that owns it.
   */
  void unread(byte[] bytes) {
    if (pendingPos < pending.length || bytes.length > position) {
      throw new IllegalStateException("unread of " + bytes.length + " bytes at position " + position);
    }
    pending = bytes.clone();
    pendingPos = 0;
    position -= bytes.length;
  }
}
