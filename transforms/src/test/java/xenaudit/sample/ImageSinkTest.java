package xenaudit.sample;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageSinkTest {
  @TempDir Path dir;

  private static void fill(ImageSink s) throws IOException {
    s.write(new byte[] {1, 2, 3});
    s.hole(5);
    s.write(new byte[0]);
    s.write(new byte[] {9, 8, 7, 6}, 1, 2);
    s.hole(3);
  }

  private static final byte[] EXPECTED = {1, 2, 3, 0, 0, 0, 0, 0, 8, 7, 0, 0, 0};

  @Test
  void byteArraySinkTurnsHolesIntoZeros() throws IOException {
    ByteArrayImageSink s = new ByteArrayImageSink();
    fill(s);
    assertEquals(13, s.position());
    assertArrayEquals(EXPECTED, s.toByteArray());
  }

  @Test
  void fileSinkKeepsTheLengthOfATrailingHole() throws IOException {
    Path f = dir.resolve("img");
    try (FileImageSink s = FileImageSink.create(f)) {
      fill(s);
      assertEquals(13, s.position());
    }
    assertArrayEquals(EXPECTED, Files.readAllBytes(f));
  }

  @Test
  void fileSinkHandlesWritesLargerThanItsBuffer() throws IOException {
    Path f = dir.resolve("big");
    byte[] b = new byte[(3 << 20) + 5];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) (i * 31);
    }
    try (FileImageSink s = FileImageSink.create(f)) {
      s.write(b);
      s.hole(1 << 20);
      s.write(b, 0, 7);
    }
    byte[] got = Files.readAllBytes(f);
    assertEquals(b.length + (1 << 20) + 7, got.length);
    assertArrayEquals(b, java.util.Arrays.copyOf(got, b.length));
    assertEquals(0, got[b.length + 1000]);
    assertEquals(b[6], got[got.length - 1]);
  }

  @Test
  void fileSinkTruncatesAnExistingFile() throws IOException {
    Path f = dir.resolve("old");
    Files.write(f, new byte[100]);
    try (FileImageSink s = FileImageSink.create(f)) {
      s.write(new byte[] {5});
    }
    assertEquals(1, Files.size(f));
  }
}
