package xenaudit.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The body of one record, read through a window that never passes its declared length. A decoder
 * reads what it checks and skips the rest; whatever it leaves is skipped by position by the caller.
 */
final class RecordBody {
  private final ByteSource source;
  private final Scratch scratch;
  private final long start;
  private final long length;
  private final long recordOffset;

  RecordBody(ByteSource source, Scratch scratch, long length, long recordOffset) {
    this.source = source;
    this.scratch = scratch;
    this.start = source.position();
    this.length = length;
    this.recordOffset = recordOffset;
  }

  long length() {
    return length;
  }

  long consumed() {
    return source.position() - start;
  }

  long remaining() {
    return length - consumed();
  }

  /** Offset in the input of body byte {@code i}. */
  long offsetOf(long i) {
    return start + i;
  }

  /** Reads the next {@code n} body bytes (n up to {@link Scratch#CAPACITY}), little-endian. */
  ByteBuffer read(int n) throws IOException {
    if (n > remaining()) {
      throw new IllegalStateException("decoder read past its record body");
    }
    return scratch.read(source, n, ByteOrder.LITTLE_ENDIAN, recordOffset);
  }

  /** Reads min(remaining, max) bytes; for walking arrays chunk by chunk. */
  ByteBuffer readChunk(int max) throws IOException {
    return read((int) Math.min(remaining(), Math.min(max, Scratch.CAPACITY)));
  }

  void skip(long n) throws IOException {
    if (n > remaining()) {
      throw new IllegalStateException("decoder skipped past its record body");
    }
    if (source.skip(n) < n) {
      throw new EndOfInput(recordOffset);
    }
  }

  void skipRest() throws IOException {
    skip(remaining());
  }
}
