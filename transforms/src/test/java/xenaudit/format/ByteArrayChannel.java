package xenaudit.format;

import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;

/** A read-only seekable channel over a byte array. */
final class ByteArrayChannel implements SeekableByteChannel {
  private final byte[] data;
  private final int length;
  private long position;

  ByteArrayChannel(byte[] data, int length) {
    this.data = data;
    this.length = length;
  }

  @Override
  public int read(ByteBuffer dst) {
    if (position >= length) {
      return -1;
    }
    int n = (int) Math.min(dst.remaining(), length - position);
    dst.put(data, (int) position, n);
    position += n;
    return n;
  }

  @Override
  public int write(ByteBuffer src) {
    throw new UnsupportedOperationException();
  }

  @Override
  public long position() {
    return position;
  }

  @Override
  public SeekableByteChannel position(long p) {
    position = p;
    return this;
  }

  @Override
  public long size() {
    return length;
  }

  @Override
  public SeekableByteChannel truncate(long size) {
    throw new UnsupportedOperationException();
  }

  @Override
  public boolean isOpen() {
    return true;
  }

  @Override
  public void close() {}
}
