package xenaudit.sample;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/** A growable byte builder for record bodies: little-endian unless told otherwise. */
final class Le {
  private ByteBuffer b;

  Le() {
    this(64);
  }

  Le(int capacity) {
    b = ByteBuffer.allocate(Math.max(16, capacity)).order(ByteOrder.LITTLE_ENDIAN);
  }

  private void ensure(int n) {
    if (b.remaining() < n) {
      ByteBuffer nb = ByteBuffer.allocate(Math.max(b.capacity() * 2, b.position() + n)).order(b.order());
      b.flip();
      nb.put(b);
      b = nb;
    }
  }

  Le u8(long v) {
    ensure(1);
    b.put((byte) v);
    return this;
  }

  Le u16(long v) {
    ensure(2);
    b.putShort((short) v);
    return this;
  }

  Le u32(long v) {
    ensure(4);
    b.putInt((int) v);
    return this;
  }

  Le u64(long v) {
    ensure(8);
    b.putLong(v);
    return this;
  }

  Le u32be(long v) {
    ensure(4);
    b.order(ByteOrder.BIG_ENDIAN).putInt((int) v).order(ByteOrder.LITTLE_ENDIAN);
    return this;
  }

  Le u16be(long v) {
    ensure(2);
    b.order(ByteOrder.BIG_ENDIAN).putShort((short) v).order(ByteOrder.LITTLE_ENDIAN);
    return this;
  }

  Le u64be(long v) {
    ensure(8);
    b.order(ByteOrder.BIG_ENDIAN).putLong(v).order(ByteOrder.LITTLE_ENDIAN);
    return this;
  }

  Le bytes(byte[] v) {
    ensure(v.length);
    b.put(v);
    return this;
  }

  Le zeros(int n) {
    ensure(n);
    b.position(b.position() + n);
    return this;
  }

  int size() {
    return b.position();
  }

  byte[] array() {
    return Arrays.copyOf(b.array(), b.position());
  }
}
