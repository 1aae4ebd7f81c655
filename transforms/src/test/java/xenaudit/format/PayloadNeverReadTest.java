package xenaudit.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import xenaudit.sample.GuestImageWriter;
import xenaudit.sample.GuestSpec;
import xenaudit.sample.Mark;
import xenaudit.sample.WrittenImage;

/** The audit reads headers and PFN arrays, never a byte of guest memory. */
class PayloadNeverReadTest {
  @TempDir Path dir;

  private void check(GuestSpec spec) throws IOException {
    Path file = dir.resolve(spec.name());
    WrittenImage img = GuestImageWriter.write(spec, file);
    ImageReport r;
    RecordingChannel ch;
    try (FileChannel fc = FileChannel.open(file, StandardOpenOption.READ)) {
      ch = new RecordingChannel(fc);
      r = ImageReader.read(file.toString(), ch, ReadOptions.DEFAULTS);
    }
    assertTrue(r.valid(), () -> "sample image should be valid: " + r.findings());
    assertEquals(img.pages(), r.pages());
    long payloadMarks = 0;
    for (Mark m : img.marks()) {
      if (m.kind().equals("page_data_payload")) {
        payloadMarks++;
        assertFalse(ch.touched(m.offset(), m.end()), () -> "read touched page payload at " + m);
      }
    }
    assertTrue(payloadMarks > 0, "the image has page payload to avoid");
    assertEquals(ch.bytes, r.bytesRead(), "bytes_read counts what the channel delivered");
    assertTrue(r.bytesRead() * 100 < img.size(),
        () -> "bytes_read " + r.bytesRead() + " is not under 1% of " + img.size());
  }

  @Test
  void hvmImageIsAuditedFromHeadersAndPfnArraysOnly() throws IOException {
    check(GuestSpec.of("hvm-256m", "6f1c2a9e-0000-4000-8000-000000000001").withMemory(256L << 20));
  }

  @Test
  void pvImageIsAuditedFromHeadersAndPfnArraysOnly() throws IOException {
    check(GuestSpec.of("pv-256m", "6f1c2a9e-0000-4000-8000-000000000002")
        .withKind(GuestSpec.Kind.PV).withMemory(256L << 20));
  }

  @Test
  void hugeSparseGuestReadsUnderAQuarterPercent() throws IOException {
    GuestSpec spec = GuestSpec.of("hvm-16g", "6f1c2a9e-0000-4000-8000-000000000003").withMemory(16L << 30);
    Path file = dir.resolve(spec.name());
    WrittenImage img = GuestImageWriter.write(spec, file);
    ImageReport r = ImageReader.read(file);
    assertTrue(r.valid(), () -> r.findings().toString());
    assertEquals(img.pages(), r.pages());
    assertTrue(r.bytesRead() * 400 < img.size(), () -> "read " + r.bytesRead() + " of " + img.size());
  }
}
