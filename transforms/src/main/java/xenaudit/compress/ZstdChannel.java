package xenaudit.compress;

import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import xenaudit.format.SkippableChannel;

/**
 * Zstandard decompression straight from the raw channel into a direct buffer, with no stream
 * adapter in between: skipped page payload is decompressed a megabyte at a time and never copied
 * to the Java heap. Handles any number of frames, including skippable ones. A stream that ends
 * inside a frame is an {@link IOException}, not a silent end of image.
 */
public final class ZstdChannel implements SkippableChannel {
  /** Compressed input per read: zstd's recommended input size (one block plus header). */
  private static final int IN_SIZE = 128 * 1024 + 512;

  /** Decompressed bytes held between calls; also the step size of a skip. */
  private static final int OUT_SIZE = 1 << 20;

  private final ReadableByteChannel raw;
  private final ZstdDecompressCtx ctx = new ZstdDecompressCtx();
  private final ByteBuffer in = ByteBuffer.allocateDirect(IN_SIZE).flip();
  private final ByteBuffer out = ByteBuffer.allocateDirect(OUT_SIZE).flip();
  /** True between frames: the only place the compressed stream may end. */
  private boolean betweenFrames = true;
  private boolean ended;
  private boolean open = true;

  public ZstdChannel(ReadableByteChannel raw) {
    this.raw = raw;
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    if (!dst.hasRemaining()) {
      return 0;
    }
    if (!out.hasRemaining() && !fill()) {
      return -1;
    }
    int n = Math.min(dst.remaining(), out.remaining());
    int limit = out.limit();
    out.limit(out.position() + n);
    dst.put(out);
    out.limit(limit);
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    long left = n;
    while (left > 0) {
      if (!out.hasRemaining() && !fill()) {
        break;
      }
      int step = (int) Math.min(left, out.remaining());
      out.position(out.position() + step);
      left -= step;
    }
    return n - left;
  }

  /** Refills {@link #out}; false at a clean end of the compressed stream. */
  private boolean fill() throws IOException {
    if (ended) {
      return false;
    }
    out.clear();
    while (true) {
      int before = in.position();
      // With no new input this still flushes what the decoder holds from earlier input.
      boolean frameDone;
      try {
        frameDone = ctx.decompressDirectByteBufferStream(out, in);
      } catch (ZstdException e) {
        // Corrupt or foreign data is a fact about the archive, not a bug in the reader.
        throw new IOException("zstd: " + e.getMessage(), e);
      }
      if (frameDone) {
        betweenFrames = true;
      } else if (in.position() != before || out.position() > 0) {
        betweenFrames = false;
      }
      if (out.position() > 0) {
        out.flip();
        return true;
      }
      if (in.hasRemaining()) {
        continue; // consumed input (a header, a skippable frame) without output yet
      }
      in.clear();
      int got = raw.read(in);
      in.flip();
      if (got < 0) {
        ended = true;
        out.flip();
        if (!betweenFrames) {
          throw new IOException("zstd stream ends inside a frame (truncated archive)");
        }
        return false;
      }
    }
  }

  @Override
  public boolean isOpen() {
    return open;
  }

  @Override
  public void close() throws IOException {
    if (open) {
      open = false;
      ctx.close();
      raw.close();
    }
  }
}
