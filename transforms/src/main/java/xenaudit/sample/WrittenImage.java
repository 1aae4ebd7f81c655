package xenaudit.sample;

import java.util.List;

/**
 * What was written.
 *
 * @param size bytes (apparent size; holes included)
 * @param pages data-carrying PAGE_DATA entries written
 * @param marks where each structure lies
 */
public record WrittenImage(long size, long pages, List<Mark> marks) {
  public WrittenImage {
    marks = List.copyOf(marks);
  }

  /** The first mark of this kind, or null. */
  public Mark first(String kind) {
    for (Mark m : marks) {
      if (m.kind().equals(kind)) {
        return m;
      }
    }
    return null;
  }

  /** The last mark of this kind, or null. */
  public Mark last(String kind) {
    Mark found = null;
    for (Mark m : marks) {
      if (m.kind().equals(kind)) {
        found = m;
      }
    }
    return found;
  }

  /** Data pages of the PAGE_DATA records that lie wholly within the first {@code length} bytes. */
  public long pagesWithin(long length) {
    long n = 0;
    for (Mark m : marks) {
      if (m.kind().equals("libxc:PAGE_DATA") && m.end() <= length) {
        n += m.pages();
      }
    }
    return n;
  }
}
