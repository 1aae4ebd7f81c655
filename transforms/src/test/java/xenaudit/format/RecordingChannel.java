package xenaudit.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.util.ArrayList;
import java.util.List;

/** A seekable channel that records every byte range read from it. */
final class RecordingChannel implements SeekableByteChannel {
  private final SeekableByteChannel delegate;
  final List<long[]> reads = new ArrayList<>();
  long bytes;

  RecordingChannel(SeekableByteChannel delegate) {
    this.delegate = delegate;
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    long at = delegate.position();
    int n = delegate.read(dst);
    if (n > 0) {
      reads.add(new long[] {at, at + n});
      bytes += n;
    }
    return n;
  }

  /** Whether any read touched [from, to). */
  boolean touched(long from, long to) {
    for (long[] r : reads) {
      if (r[0] < to && from < r[1]) {
        return true;
      }
    }
    return false;
  }

  @Override
  public int write(ByteBuffer src) {
    throw new UnsupportedOperationException();
  }

  @Override
  public long position() throws IOException {
    return delegate.position();
  }

  @Override
  public SeekableByteChannel position(long p) throws IOException {
    delegate.position(p);
    return this;
  }

  @Override
  public long size() throws IOException {
    return delegate.size();
  }

  @Override
  public SeekableByteChannel truncate(long size) {
    throw new UnsupportedOperationException();
  }

  @Override
  public boolean isOpen() {
    return delegate.isOpen();
  }

  @Override
  public void close() throws IOException {
    delegate.close();
  }
}
