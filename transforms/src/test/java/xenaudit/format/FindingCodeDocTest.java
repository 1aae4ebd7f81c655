package xenaudit.format;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Finding codes are a user-facing contract: each one is documented in the README's table. */
class FindingCodeDocTest {
  @Test
  void everyCodeIsDocumentedWithItsSeverity() throws IOException {
    String readme = Files.readString(Path.of("..", "README.md"));
    for (FindingCode c : FindingCode.values()) {
      String row = "| `" + c.name() + "` | " + c.severity().label() + " |";
      assertTrue(readme.contains(row), "README.md lacks the row for " + c + ": " + row);
    }
  }
}
