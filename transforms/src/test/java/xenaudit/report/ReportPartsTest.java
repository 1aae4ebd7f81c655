package xenaudit.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ReportPartsTest {
  @Test
  void markupEscapesTextAndMakesIds() {
    assertEquals("&lt;a href=&quot;x&quot;&gt;&amp;&#39;", Markup.text("<a href=\"x\">&'"));
    assertEquals("", Markup.text(null));
    assertEquals("a\uFFFDb\tc\n", Markup.text("a\u0000b\tc\n"));
    assertEquals("\uFFFDx", Markup.text("\uD800x"));
    assertEquals("\uD83D\uDE00", Markup.text("\uD83D\uDE00"));
    assertEquals("rack-a_1.2", Markup.id("rack-a_1.2"));
    assertEquals("a%2Fb%20%26%20%3Cc%3E", Markup.id("a/b & <c>"));
    assertEquals("%C3%A9%25", Markup.id("\u00e9%"));
    assertEquals("%", Markup.id(""));
  }

  @Test
  void smallestKKeepsTheSmallestWhateverTheOrder() {
    List<Integer> values = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      values.add(i);
    }
    Collections.shuffle(values, new Random(7));
    SmallestK<Integer> k = new SmallestK<Integer>(25, Comparator.<Integer>naturalOrder());
    values.forEach(k::offer);
    assertEquals(values.stream().sorted().limit(25).toList(), k.sorted());
    assertEquals(1000, k.offered());
    assertEquals(975, k.more());
  }

  @Test
  void cappedCounterKeepsTheSmallestKeysAndFoldsTheRestExactly() {
    List<Integer> keys = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      for (int n = 0; n <= i % 3; n++) {
        keys.add(i);
      }
    }
    for (long seed = 0; seed < 5; seed++) {
      Collections.shuffle(keys, new Random(seed));
      CappedCounter<Integer> c = new CappedCounter<>(50);
      keys.forEach(c::add);
      assertEquals(50, c.size());
      long kept = 0;
      for (CappedCounter.Entry<Integer> e : c.byKey()) {
        assertEquals(1 + e.key() % 3, e.count(), "key " + e.key());
        kept += e.count();
      }
      assertEquals(49, c.byKey().get(49).key());
      assertEquals(keys.size(), c.total());
      assertEquals(keys.size() - kept, c.other());
    }
  }

  @Test
  void sharesNeverRoundToNothingOrToAll() {
    assertEquals("&lt;0.1%", ReportPage.share(1, 100_000));
    assertEquals("&gt;99.9%", ReportPage.share(99_999, 100_000));
    assertEquals("100.0%", ReportPage.share(5, 5));
    assertEquals("0.0%", ReportPage.share(0, 5));
    assertEquals("33.3%", ReportPage.share(1, 3));
    assertEquals("1.5 GiB", ReportPage.bytes(1610612736L));
  }

  /** Status, verdict and feature colours stay apart in greyscale print (CIE L*, at least 12 apart). */
  @Test
  void categoryColoursDifferInLightness() {
    assertApart("s-valid", "s-unreadable", "s-invalid");
    assertApart("v-not-affected", "v-mitigation-available", "v-unknown", "v-exposed");
    assertApart("f-absent", "f-unknown", "f-present");
  }

  private static void assertApart(String... classes) {
    double previous = Double.POSITIVE_INFINITY;
    for (String c : classes) {
      double l = lightness(fill(c));
      org.junit.jupiter.api.Assertions.assertTrue(previous - l >= 12, c + " L*=" + l + " after " + previous);
      previous = l;
    }
  }

  private static String fill(String cssClass) {
    java.util.regex.Matcher m = java.util.regex.Pattern
        .compile("\\n\\s*\\." + cssClass + " \\{ fill: (#[0-9a-f]{6}|var\\(--[a-z-]+\\)); \\}").matcher(ReportStyle.CSS);
    org.junit.jupiter.api.Assertions.assertTrue(m.find(), cssClass);
    String v = m.group(1);
    if (v.startsWith("var(")) {
      String name = v.substring(4, v.length() - 1);
      java.util.regex.Matcher d = java.util.regex.Pattern.compile(name + ": (#[0-9a-f]{6});").matcher(ReportStyle.CSS);
      org.junit.jupiter.api.Assertions.assertTrue(d.find(), name);
      v = d.group(1);
    }
    return v;
  }

  private static double lightness(String hex) {
    double y = 0;
    double[] w = {0.2126, 0.7152, 0.0722};
    for (int i = 0; i < 3; i++) {
      double c = Integer.parseInt(hex.substring(1 + 2 * i, 3 + 2 * i), 16) / 255.0;
      y += w[i] * (c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4));
    }
    return y > 0.008856 ? 116 * Math.cbrt(y) - 16 : 903.3 * y;
  }
}
