package xenaudit.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import xenaudit.sample.ByteArrayImageSink;
import xenaudit.sample.GuestImageWriter;
import xenaudit.sample.GuestSpec;
import xenaudit.sample.Mark;
import xenaudit.sample.WrittenImage;

/** --read-page-payload: every page is read and checksummed; the verdict does not change. */
class FullReadModeTest {
  private static final ReadOptions FULL = ReadOptions.DEFAULTS.withReadPagePayload(true);

  @Test
  void fullReadChecksumsEveryPageAndKeepsTheVerdict() throws IOException {
    ByteArrayImageSink sink = new ByteArrayImageSink();
    WrittenImage img = GuestImageWriter.write(
        GuestSpec.of("full", "0b4e1f3a-2222-4333-8444-555566667777").withMemory(8L << 20), sink);
    byte[] b = sink.toByteArray();

    ImageReport skip = ImageReader.read("mem", new ByteArrayChannel(b, b.length), ReadOptions.DEFAULTS);
    ImageReport full = ImageReader.read("mem", new ByteArrayChannel(b, b.length), FULL);
    assertEquals(-1, skip.payloadBytes());
    assertEquals(img.pages() * 4096, full.payloadBytes());
    assertEquals(b.length, full.bytesRead(), "full-read mode reads the whole image");
    assertEquals(skip.status(), full.status());
    assertEquals(skip.cpuid(), full.cpuid());
    assertEquals(skip.errorCount(), full.errorCount());
    assertEquals(skip.warningCount(), full.warningCount());

    CRC32C zeros = new CRC32C();
    zeros.update(new byte[(int) full.payloadBytes()]); // the writer leaves pages as holes (zeros)
    assertEquals(zeros.getValue(), full.payloadCrc32c());
    assertTrue(full.findings().stream().anyMatch(f -> f.code() == FindingCode.PAGE_PAYLOAD_CHECKSUM
        && f.message().contains(String.format("%08x", zeros.getValue()))));

    // One flipped bit in guest memory: invisible to the metadata audit, caught by the checksum.
    Mark payload = img.first("page_data_payload");
    b[(int) (payload.offset() + payload.length() / 2)] ^= 0x10;
    ImageReport flipped = ImageReader.read("mem", new ByteArrayChannel(b, b.length), FULL);
    assertNotEquals(zeros.getValue(), flipped.payloadCrc32c());
    assertEquals(ImageStatus.VALID, flipped.status());
  }
}
