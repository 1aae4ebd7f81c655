package xenaudit.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProgressLineTest {
  @Test
  void saysWhatIsDoneHowFastAndWhatIsLeft() {
    try (ProgressLine p = ProgressLine.start(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
        100_000, 200L << 30)) {
      assertEquals("xenaudit: 25000 of 100000 images, 50.0 of 200.0 GiB, 1000 images/s, about 1m15s left",
          p.line(25_000, 50L << 30, 25.0));
      assertEquals("xenaudit: 100000 of 100000 images, 200.0 of 200.0 GiB, 2000 images/s",
          p.line(100_000, 200L << 30, 50.0));
      assertEquals("xenaudit: 0 of 100000 images, 0.0 of 200.0 GiB, 0 images/s", p.line(0, 0, 0));
    }
    assertEquals("2h5m", ProgressLine.duration(7500));
  }
}
