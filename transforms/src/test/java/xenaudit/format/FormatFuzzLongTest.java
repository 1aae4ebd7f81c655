package xenaudit.format;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The long fuzz run: {@link FormatFuzzTest}'s properties over 1,000,000 inputs ({@code mvn -Pfuzz -pl
 * transforms -am test}; figures in {@code target/fuzz-reports/figures.txt}). Off otherwise.
 */
@EnabledIfSystemProperty(named = "xenaudit.fuzz.long", matches = "true")
class FormatFuzzLongTest {
  @FuzzTest(maxExecutions = 1_000_000, maxDuration = "4h")
  void fuzz(byte[] input) throws IOException {
    FormatFuzzTest.check(input);
  }

  @org.junit.jupiter.api.AfterAll
  static void reportPeakHeap() throws IOException {
    FormatFuzzTest.reportPeakHeap();
  }
}
