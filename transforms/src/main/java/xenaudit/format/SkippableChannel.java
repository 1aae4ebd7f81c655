package xenaudit.format;

import java.io.IOException;
import java.nio.channels.ReadableByteChannel;

/**
 * A stream that can pass over bytes more cheaply than by handing them to the caller: a
 * decompressor still has to produce them, but can do so into its own buffers in large steps.
 * {@link ByteSource} skips page payload through it instead of reading into a scratch buffer.
 */
public interface SkippableChannel extends ReadableByteChannel {
  /**
   * Passes over the next {@code n} bytes.
   *
   * @return the bytes passed over; fewer than {@code n} only at the end of the stream
   */
  long skip(long n) throws IOException;
}
