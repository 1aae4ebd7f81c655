package xenaudit.compress;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.util.zip.GZIPInputStream;
import xenaudit.format.SkippableChannel;

/**
 * gzip decompression (every member of a multi-member file, CRC and length checked by the JDK)
 * with skips done in large steps: {@code InflaterInputStream.skip} would go 512 bytes at a time.
 * A truncated or corrupt member is an {@link IOException}.
 */
public final class GzipChannel implements SkippableChannel {
  private static final int IN_SIZE = 1 << 16;
  private static final int SKIP_SIZE = 1 << 18;

  private final InputStream gzip;
  private final byte[] discard = new byte[SKIP_SIZE];
  private boolean open = true;

  public GzipChannel(ReadableByteChannel raw) throws IOException {
    this.gzip = new GZIPInputStream(Channels.newInputStream(raw), IN_SIZE);
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    if (!dst.hasRemaining()) {
      return 0;
    }
    int n;
    if (dst.hasArray()) {
      n = gzip.read(dst.array(), dst.arrayOffset() + dst.position(), dst.remaining());
      if (n > 0) {
        dst.position(dst.position() + n);
      }
    } else {
      n = gzip.read(discard, 0, Math.min(discard.length, dst.remaining()));
      if (n > 0) {
        dst.put(discard, 0, n);
      }
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    long left = n;
    while (left > 0) {
      int got = gzip.read(discard, 0, (int) Math.min(discard.length, left));
      if (got < 0) {
        break;
      }
      left -= got;
    }
    return n - left;
  }

  @Override
  public boolean isOpen() {
    return open;
  }

  @Override
  public void close() throws IOException {
    if (open) {
      open = false;
      gzip.close();
    }
  }
}
