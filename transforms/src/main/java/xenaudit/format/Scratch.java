package xenaudit.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The one reusable buffer a reader decodes through: fixed size, so no length taken from the image
 * ever sizes an allocation.
 */
final class Scratch {
  /** Largest single decode window; bigger structures are walked in chunks. */
  static final int CAPACITY = 64 * 1024;

  private final ByteBuffer buffer = ByteBuffer.allocate(CAPACITY);

  /**
   * Reads exactly {@code n} bytes at the source's position.
   *
   * @param structureOffset reported as the truncation point if the input ends first
   * @return a buffer positioned at 0 with limit {@code n}, valid until the next call
   */
  ByteBuffer read(ByteSource source, int n, ByteOrder order, long structureOffset)
      throws IOException {
    ByteBuffer b = readOrNull(source, n, order, structureOffset);
    if (b == null) {
      throw new EndOfInput(structureOffset);
    }
    return b;
  }

  /** As {@link #read}, but returns null when the input ends before the first byte. */
  ByteBuffer readOrNull(ByteSource source, int n, ByteOrder order, long structureOffset)
      throws IOException {
    if (n < 0 || n > CAPACITY) {
      throw new IllegalArgumentException("window " + n + " outside 0.." + CAPACITY);
    }
    buffer.clear().limit(n);
    if (!source.readFully(buffer)) {
      if (buffer.position() == 0 && n > 0) {
        return null;
      }
      throw new EndOfInput(structureOffset);
    }
    return buffer.flip().order(order);
  }
}
