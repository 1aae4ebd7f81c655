package xenaudit.report;

import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The counts of a report page: every {@code id="X" data-value="N"} element, ids unique. */
final class ReportIds {
  private static final Pattern COUNT = Pattern.compile("id=\"([^\"]+)\" data-value=\"(-?\\d+)\"");
  private static final Pattern ID = Pattern.compile("\\sid=\"([^\"]+)\"");

  private ReportIds() {}

  static Map<String, Long> counts(String html) {
    Map<String, Long> m = new LinkedHashMap<>();
    Matcher x = COUNT.matcher(html);
    while (x.find()) {
      assertNull(m.put(x.group(1), Long.parseLong(x.group(2))), "duplicate id " + x.group(1));
    }
    Map<String, Boolean> all = new LinkedHashMap<>();
    Matcher y = ID.matcher(html);
    while (y.find()) {
      assertNull(all.put(y.group(1), true), "duplicate id " + y.group(1));
    }
    return m;
  }
}
