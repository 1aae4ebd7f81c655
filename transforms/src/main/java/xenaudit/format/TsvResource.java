package xenaudit.format;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A tab-separated table shipped on the classpath beside a class: '#' lines are comments (where the
 * data comes from), the first other line names the columns, every further line is a row.
 */
public final class TsvResource {
  private TsvResource() {}

  /** The rows of {@code name}, found beside {@code anchor}, each split on tabs (empty trailing cells kept). */
  public static List<String[]> rows(Class<?> anchor, String name) {
    List<String[]> out = new ArrayList<>();
    try (InputStream in = anchor.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException(name + " missing from the classpath");
      }
      BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      String line;
      boolean header = true;
      while ((line = r.readLine()) != null) {
        if (line.startsWith("#") || line.isBlank()) {
          continue;
        }
        if (header) {
          header = false;
          continue;
        }
        out.add(line.split("\t", -1));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }
}
