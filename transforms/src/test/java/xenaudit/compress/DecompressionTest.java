package xenaudit.compress;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.luben.zstd.Zstd;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import xenaudit.format.Finding;
import xenaudit.format.FindingCode;
import xenaudit.format.ImageReader;
import xenaudit.format.ImageReport;
import xenaudit.format.ReadOptions;
import xenaudit.format.SkippableChannel;
import xenaudit.sample.GuestImageWriter;
import xenaudit.sample.GuestSpec;

/** gzip and zstd archives give back exactly the bytes that went in, and fail loudly when cut. */
class DecompressionTest {
  @TempDir Path dir;

  /** 3 MiB of runs: random bytes (incompressible) between runs of zeros (sparse guest memory). */
  private static byte[] data() {
    Random r = new Random(42);
    byte[] b = new byte[3 << 20];
    for (int at = 0; at < b.length; ) {
      int run = Math.min(b.length - at, 1 + r.nextInt(300_000));
      if (r.nextBoolean()) {
        byte[] noise = new byte[run];
        r.nextBytes(noise);
        System.arraycopy(noise, 0, b, at, run);
      }
      at += run;
    }
    return b;
  }

  private static byte[] zstdFrames(byte[] data, int frames) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int step = (data.length + frames - 1) / frames;
    for (int at = 0; at < data.length; at += step) {
      byte[] part = Arrays.copyOfRange(data, at, Math.min(data.length, at + step));
      out.writeBytes(Zstd.compress(part, 3));
      // A skippable frame between data frames: decoders must pass over it.
      ByteBuffer skippable = ByteBuffer.allocate(8 + 5).order(ByteOrder.LITTLE_ENDIAN);
      skippable.putInt(0x184D2A50).putInt(5).put(new byte[5]);
      out.writeBytes(skippable.array());
    }
    return out.toByteArray();
  }

  private static byte[] gzipMembers(byte[] data, int members) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int step = (data.length + members - 1) / members;
    for (int at = 0; at < data.length; at += step) {
      try (OutputStream gz = new GZIPOutputStream(new NonClosing(out))) {
        gz.write(data, at, Math.min(data.length - at, step));
      }
    }
    return out.toByteArray();
  }

  private static ReadableByteChannel raw(byte[] compressed) {
    return Channels.newChannel(new ByteArrayInputStream(compressed));
  }

  /**
   * Reads through the channel with a seeded mix of small reads and large skips; every byte read
   * must equal the original at the same offset, so a skip that lands wrong shows in the next read.
   */
  private static void assertSameBytes(byte[] expected, SkippableChannel ch, long seed) throws IOException {
    Random r = new Random(seed);
    int at = 0;
    int reads = 0;
    while (at < expected.length) {
      if (r.nextInt(3) == 0) {
        long n = r.nextInt(400_000);
        long skipped = ch.skip(n);
        assertEquals(Math.min(n, expected.length - at), skipped, "skip at " + at);
        at += (int) skipped;
      } else {
        ByteBuffer dst = ByteBuffer.allocate(1 + r.nextInt(20_000));
        int n = ch.read(dst);
        assertTrue(n > 0, "read before the end returned " + n);
        assertArrayEquals(Arrays.copyOfRange(expected, at, at + n), Arrays.copyOf(dst.array(), n), "read at " + at);
        at += n;
        reads++;
      }
    }
    assertTrue(reads > 10, "the mix read something");
    assertEquals(-1, ch.read(ByteBuffer.allocate(16)), "end of stream after the last byte");
    assertEquals(0, ch.skip(100), "nothing to skip at the end");
  }

  @Test
  void zstdFramesAndSkippableFramesDecodeToTheOriginal() throws IOException {
    byte[] data = data();
    for (int frames : new int[] {1, 3, 7}) {
      for (long seed = 1; seed <= 3; seed++) {
        try (SkippableChannel ch = Decompression.ZSTD.open(raw(zstdFrames(data, frames)))) {
          assertSameBytes(data, ch, seed);
        }
      }
    }
  }

  @Test
  void gzipMembersDecodeToTheOriginal() throws IOException {
    byte[] data = data();
    for (int members : new int[] {1, 4}) {
      for (long seed = 1; seed <= 3; seed++) {
        try (SkippableChannel ch = Decompression.GZIP.open(raw(gzipMembers(data, members)))) {
          assertSameBytes(data, ch, seed);
        }
      }
    }
  }

  private static void drain(SkippableChannel ch) throws IOException {
    while (ch.skip(1 << 20) > 0) {
      // until the end, or the exception the caller expects
    }
  }

  @Test
  void truncatedArchivesAreErrorsNotShortImages() throws IOException {
    byte[] data = data();
    byte[] zst = zstdFrames(data, 2);
    byte[] gz = gzipMembers(data, 2);
    for (double cut : new double[] {0.1, 0.5, 0.93}) {
      byte[] z = Arrays.copyOf(zst, (int) (zst.length * cut));
      IOException ze = assertThrows(IOException.class, () -> drain(Decompression.ZSTD.open(raw(z))), "zstd cut at " + cut);
      assertTrue(ze.getMessage() != null && !ze.getMessage().isEmpty());
      byte[] g = Arrays.copyOf(gz, (int) (gz.length * cut));
      assertThrows(IOException.class, () -> drain(Decompression.GZIP.open(raw(g))), "gzip cut at " + cut);
    }
  }

  @Test
  void dataThatIsNotTheNamedCompressionIsAnError() throws IOException {
    byte[] plain = "this is an uncompressed image named like an archive".getBytes();
    assertThrows(IOException.class, () -> drain(Decompression.ZSTD.open(raw(plain))));
    CloseTracking gzRaw = new CloseTracking(raw(plain));
    assertThrows(IOException.class, () -> Decompression.GZIP.open(gzRaw));
    assertFalse(gzRaw.isOpen(), "a failed open closes the raw channel");
  }

  @Test
  void compressedImageGivesTheSameReportAsThePlainOne() throws IOException {
    GuestSpec spec = GuestSpec.of("hvm-64m", "6f1c2a9e-0000-4000-8000-0000000000c1").withMemory(64L << 20);
    Path plain = dir.resolve("guest.xl");
    GuestImageWriter.write(spec, plain);
    byte[] bytes = Files.readAllBytes(plain);
    Path zst = Files.write(dir.resolve("guest.xl.zst"), zstdFrames(bytes, 5));
    Path gz = Files.write(dir.resolve("guest.xl.gz"), gzipMembers(bytes, 1));

    ImageReport expected = ImageReader.read(plain);
    assertTrue(expected.valid(), () -> expected.findings().toString());
    for (Path p : new Path[] {zst, gz}) {
      ImageReport r = Decompression.readImage(p, ReadOptions.DEFAULTS);
      assertEquals(expected.status(), r.status(), p.toString());
      assertEquals(expected.findings().stream().map(Finding::toString).toList(),
          r.findings().stream().map(Finding::toString).toList(), p.toString());
      assertEquals(expected.pages(), r.pages());
      assertEquals(expected.records(), r.records());
      assertEquals(expected.cpuid(), r.cpuid());
      assertEquals(expected.msr(), r.msr());
      assertEquals(bytes.length, r.bytesRead(), "a compressed image is decompressed end to end");
    }

    // Cut inside the memory records: a located READ_ERROR, not a crash and not a clean truncation.
    byte[] z = zstdFrames(bytes, 5);
    Path cut = Files.write(dir.resolve("cut.xl.zst"), Arrays.copyOf(z, z.length * 2 / 3));
    ImageReport r = Decompression.readImage(cut, ReadOptions.DEFAULTS);
    assertFalse(r.valid());
    Finding f = r.findings().stream().filter(x -> x.code() == FindingCode.READ_ERROR).findFirst().orElseThrow(
        () -> new AssertionError("no READ_ERROR in " + r.findings()));
    assertTrue(f.offset() > 0 && f.offset() < bytes.length, f::toString);
  }

  /** Lets GZIPOutputStream finish its member without closing the shared buffer. */
  private static final class NonClosing extends java.io.FilterOutputStream {
    NonClosing(OutputStream out) {
      super(out);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
    }

    @Override
    public void close() throws IOException {
      flush();
    }
  }

  private static final class CloseTracking implements ReadableByteChannel {
    private final ReadableByteChannel in;
    private boolean open = true;

    CloseTracking(ReadableByteChannel in) {
      this.in = in;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
      return in.read(dst);
    }

    @Override
    public boolean isOpen() {
      return open;
    }

    @Override
    public void close() throws IOException {
      open = false;
      in.close();
    }
  }
}
