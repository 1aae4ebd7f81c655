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
}
