package xenaudit.sample;

import java.util.Arrays;

/** An in-memory sink for tests: holes become real zeros. Capped at 2 GiB, as a Java array. */
public final class ByteArrayImageSink implements ImageSink {
  private byte[] buf = new byte[4096];
  private int size;

  @Override
  public void write(byte[] b, int off, int len) {
    ensure(len);
    System.arraycopy(b, off, buf, size, len);
    size += len;
  }

  @Override
  public void hole(long n) {
    if (n < 0) {
      throw new IllegalArgumentException("negative hole " + n);
    }
    if (n > Integer.MAX_VALUE - 16 - size) {
      throw new IllegalStateException("a byte-array sink holds at most 2 GiB; hole of " + n + " at " + size);
    }
    ensure((int) n);
    // The buffer only ever grows and is never reused below size, so the bytes are already zero.
    size += (int) n;
  }

  @Override
  public long position() {
    return size;
  }

  @Override
  public void close() {}

  /** A copy of the bytes written so far. */
  public byte[] toByteArray() {
    return Arrays.copyOf(buf, size);
  }

  private void ensure(int more) {
    long need = (long) size + more;
    if (need > Integer.MAX_VALUE - 16) {
      throw new IllegalStateException("a byte-array sink holds at most 2 GiB");
    }
    if (need > buf.length) {
      buf = Arrays.copyOf(buf, (int) Math.max(need, Math.min(Integer.MAX_VALUE - 16L, buf.length * 2L)));
    }
  }
}
