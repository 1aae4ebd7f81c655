package xenaudit.sample;

import java.io.Closeable;
import java.io.IOException;

/**
 * Where an image writer puts its bytes. A {@link #hole} is a run of bytes that reads back as zeros
 * but need not be written: a file sink leaves it unallocated (a sparse file), so a 64 GiB guest's
 * page payload costs nothing on disk.
 */
public interface ImageSink extends Closeable {
  /** Appends {@code len} bytes of {@code b} from {@code off}. */
  void write(byte[] b, int off, int len) throws IOException;

  default void write(byte[] b) throws IOException {
    write(b, 0, b.length);
  }

  /** Appends {@code n} bytes that read back as zeros. */
  void hole(long n) throws IOException;

  /** Bytes appended so far (the size of the image once closed). */
  long position();

  /** Makes everything written durable in the sink and fixes the final length. */
  @Override
  void close() throws IOException;
}
