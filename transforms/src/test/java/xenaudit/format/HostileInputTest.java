package xenaudit.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import xenaudit.sample.ByteArrayImageSink;
import xenaudit.sample.GuestImageWriter;
import xenaudit.sample.GuestSpec;
import xenaudit.sample.Mark;
import xenaudit.sample.WrittenImage;

/**
 * Truncated, corrupted and hostile inputs: the core never throws, never hangs, never allocates
 * from an unchecked length, and always says where the problem is.
 */
class HostileInputTest {
  private static final ReadOptions OPTS = ReadOptions.DEFAULTS;

  private static ImageReport seekable(byte[] b, int len) {
    return ImageReader.read("mem", new ByteArrayChannel(b, len), OPTS);
  }

  private static ImageReport streaming(byte[] b, int len) {
    return ImageReader.read("mem", ByteSource.streaming(Channels.newChannel(new ByteArrayInputStream(b, 0, len))), OPTS);
  }

  private static boolean has(ImageReport r, FindingCode c) {
    return r.findings().stream().anyMatch(f -> f.code() == c);
  }

  private static WrittenImage image(GuestSpec spec, ByteArrayImageSink sink) throws IOException {
    return GuestImageWriter.write(spec, sink);
  }

  private static GuestSpec small(String name) {
    return GuestSpec.of(name, "0b4e1f3a-1111-4222-8333-444455556666").withMemory(4L << 20);
  }

  @Test
  void emptyOneByteAndGarbageInputsAreFindingsNotExceptions() {
    ImageReport empty = seekable(new byte[0], 0);
    assertEquals(ImageStatus.INVALID, empty.status());
    assertTrue(has(empty, FindingCode.EMPTY_INPUT));

    ImageReport one = seekable(new byte[] {'X'}, 1);
    assertTrue(has(one, FindingCode.TRUNCATED) || has(one, FindingCode.NOT_XEN_IMAGE), one.findings()::toString);

    byte[] garbage = new byte[4096];
    new Random(7).nextBytes(garbage);
    garbage[0] = 'g';
    ImageReport g = seekable(garbage, garbage.length);
    assertTrue(has(g, FindingCode.NOT_XEN_IMAGE));
    assertEquals(8, g.bytesRead(), "a non-image is rejected from its first bytes");

    byte[] zeros = new byte[1 << 20];
    assertTrue(has(seekable(zeros, zeros.length), FindingCode.NOT_XEN_IMAGE));
    byte[] ones = new byte[1 << 20];
    Arrays.fill(ones, (byte) 0xFF);
    ImageReport allOnes = seekable(ones, ones.length);
    assertEquals(Container.LIBXC, allOnes.container());
    assertTrue(has(allOnes, FindingCode.LIBXC_BAD_ID));
  }

  /** Every cut inside the metadata, and a few inside payload, is a located truncation. */
  @Test
  void truncationAnywhereIsReportedWhereItHappens() throws IOException {
    for (xenaudit.format.Container c : new Container[] {Container.XL, Container.LIBVIRT, Container.LIBXL, Container.LIBXC}) {
      for (GuestSpec.Kind k : GuestSpec.Kind.values()) {
        ByteArrayImageSink sink = new ByteArrayImageSink();
        WrittenImage img = image(small("cut-" + c + "-" + k).withContainer(c).withKind(k), sink);
        byte[] b = sink.toByteArray();
        ImageReport whole = seekable(b, b.length);
        assertTrue(whole.valid(), () -> c + " " + k + ": " + whole.findings());
        TreeSet<Long> cuts = new TreeSet<>();
        for (Mark m : img.marks()) {
          for (long d : new long[] {0, 1, 4, 7, 8, 9, 15, 16, 23, 24, 31}) {
            if (m.offset() + d < m.end()) {
              cuts.add(m.offset() + d);
            }
          }
          if (m.kind().equals("page_data_payload")) {
            cuts.add(m.offset() + m.length() / 2);
          }
        }
        cuts.add(b.length - 1L);
        for (long cut : cuts) {
          int n = (int) cut;
          for (ImageReport r : new ImageReport[] {seekable(b, n), streaming(b, n)}) {
            String what = c + " " + k + " cut at " + n + ": " + r.findings();
            assertFalse(r.internalError(), what);
            assertEquals(ImageStatus.INVALID, r.status(), what);
            assertTrue(n == 0 ? has(r, FindingCode.EMPTY_INPUT) : has(r, FindingCode.TRUNCATED), what);
            assertTrue(r.bytesRead() <= n, what);
            Finding t = r.findings().stream().filter(f -> f.code() == FindingCode.TRUNCATED).findFirst().orElse(null);
            if (t != null) {
              assertTrue(t.offset() <= n, () -> "truncation located at or before the cut: " + what);
            }
          }
        }
      }
    }
  }

  /** Random damage to the metadata never crashes or hangs the reader. */
  @Test
  void randomCorruptionNeverEscapesAsAnException() throws IOException {
    ByteArrayImageSink sink = new ByteArrayImageSink();
    WrittenImage img = image(small("fuzz").withKind(GuestSpec.Kind.PV).withMemory(2L << 20), sink);
    byte[] original = sink.toByteArray();
    // Damage only where the reader looks: headers, record headers, PFN arrays, small records.
    long[][] spans = img.marks().stream()
        .filter(m -> !m.kind().equals("page_data_payload"))
        .map(m -> new long[] {m.offset(), m.length()})
        .toArray(long[][]::new);
    Random rnd = new Random(20261130);
    assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
      for (int i = 0; i < 2000; i++) {
        byte[] b = original.clone();
        int flips = 1 + rnd.nextInt(4);
        for (int f = 0; f < flips; f++) {
          long[] s = spans[rnd.nextInt(spans.length)];
          int at = (int) (s[0] + (long) (rnd.nextDouble() * Math.min(s[1], 64)));
          b[at] = rnd.nextInt(3) == 0 ? (byte) 0xFF : (byte) rnd.nextInt(256);
        }
        // Streaming reads the whole image; a quarter of the cases suffice for that path.
        ImageReport[] reads = i % 4 == 0
            ? new ImageReport[] {seekable(b, b.length), streaming(b, b.length)}
            : new ImageReport[] {seekable(b, b.length)};
        for (ImageReport r : reads) {
          final int iter = i;
          assertFalse(r.internalError(), () -> "iteration " + iter + ": " + r.findings());
          assertTrue(r.bytesRead() <= b.length);
        }
      }
    });
  }

  private static void putInt(byte[] b, long at, int v) {
    ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt((int) at, v);
  }

  @Test
  void hostileLengthsAreCheckedBeforeUse() throws IOException {
    ByteArrayImageSink sink = new ByteArrayImageSink();
    WrittenImage img = image(small("lengths"), sink);
    byte[] original = sink.toByteArray();

    byte[] b = original.clone();
    Mark cpuid = img.first("libxc:X86_CPUID_POLICY");
    putInt(b, cpuid.offset() + 4, 0xFFFFFFF0);
    ImageReport r = seekable(b, b.length);
    assertTrue(has(r, FindingCode.RECORD_TOO_LONG), r.findings()::toString);
    Finding f = r.findings().stream().filter(x -> x.code() == FindingCode.RECORD_TOO_LONG).findFirst().orElseThrow();
    assertEquals(cpuid.offset(), f.offset());
    assertEquals("X86_CPUID_POLICY", f.recordType());
    assertEquals(Layer.LIBXC, f.layer());
    assertTrue(f.recordIndex() >= 0);
    assertTrue(has(streaming(b, b.length), FindingCode.RECORD_TOO_LONG));

    b = original.clone();
    putInt(b, cpuid.offset() + 4, 100 << 20); // under the cap, past the end of the file
    assertTrue(has(seekable(b, b.length), FindingCode.TRUNCATED));
    assertTrue(has(streaming(b, b.length), FindingCode.TRUNCATED));

    b = original.clone();
    Mark page = img.first("libxc:PAGE_DATA");
    putInt(b, page.offset() + 8, 0xFFFFFFFF); // count
    r = seekable(b, b.length);
    assertTrue(has(r, FindingCode.RECORD_LENGTH), r.findings()::toString);

    b = original.clone();
    putInt(b, 44, 0xFFFFFFFF); // xl optional_data_len
    assertTrue(has(seekable(b, b.length), FindingCode.TRUNCATED));

    b = original.clone();
    putInt(b, 48, 0x7FFFFFFF); // config_len
    r = seekable(b, b.length);
    assertTrue(has(r, FindingCode.XL_CONFIG_LENGTH), r.findings()::toString);

    b = original.clone();
    Mark emu = img.first("libxl:EMULATOR_CONTEXT");
    putInt(b, emu.offset() + 4, 0xFFFFFFF0);
    r = seekable(b, b.length);
    assertTrue(has(r, FindingCode.TRUNCATED), r.findings()::toString);
    assertEquals(emu.offset(), r.findings().stream().filter(x -> x.code() == FindingCode.TRUNCATED)
        .findFirst().orElseThrow().offset());
  }
}
