package xenaudit.sample;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Writes an image to a file through a {@link FileChannel}, leaving holes unwritten so the file is
 * sparse. Small writes are gathered in a buffer; a hole flushes it and moves the channel position.
 * {@link #close} fixes the length when the image ends in a hole (by writing its last byte, the one
 * portable way to extend a file without allocating the rest).
 */
public final class FileImageSink implements ImageSink {
  private static final int BUFFER = 1 << 20;

  private final FileChannel channel;
  private final ByteBuffer buffer = ByteBuffer.allocate(BUFFER);
  private long position;
  /** Position up to which bytes are actually in the file (or the buffer). */
  private long written;
  private boolean closed;

  private FileImageSink(FileChannel channel) {
    this.channel = channel;
  }

  /** Creates (or truncates) {@code file}. */
  public static FileImageSink create(Path file) throws IOException {
    return new FileImageSink(FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING));
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    if (len <= 0) {
      return; // must not count as written: the image may still end in a hole
    }
    while (len > 0) {
      if (!buffer.hasRemaining()) {
        flush();
      }
      int n = Math.min(len, buffer.remaining());
      buffer.put(b, off, n);
      off += n;
      len -= n;
      position += n;
    }
    written = position;
  }

  @Override
  public void hole(long n) throws IOException {
    if (n < 0) {
      throw new IllegalArgumentException("negative hole " + n);
    }
    if (n == 0) {
      return;
    }
    flush();
    position += n;
    channel.position(position);
  }

  @Override
  public long position() {
    return position;
  }

  private void flush() throws IOException {
    buffer.flip();
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
    buffer.clear();
  }

  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      flush();
      if (position > written) {
        // Ends in a hole: the file is only as long as its last written byte until this one.
        channel.write(ByteBuffer.wrap(new byte[1]), position - 1);
      }
      channel.truncate(position);
    } finally {
      channel.close();
    }
  }
}
