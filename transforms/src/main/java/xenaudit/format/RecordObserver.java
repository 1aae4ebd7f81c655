package xenaudit.format;

/**
 * Told of every header and record as the reader passes it, for listing an image structure by
 * structure ({@code verify-image --records}, like {@code verify-stream-v2 -v}). Called on the
 * reading thread after the structure is checked; page payload is still never read.
 */
@FunctionalInterface
public interface RecordObserver {
  /** Observes nothing: the reader's default, at no cost. */
  RecordObserver NONE = r -> {};

  /**
   * One header or record.
   *
   * @param index the record's index within its layer, -1 for headers
   * @param type the record type name ({@code PAGE_DATA}, {@code 0x80000013}) or header name
   * @param length the body length (headers: their size)
   * @param decode a one-line decode of what was found, e.g. {@code count 1024, 1024 pages}
   * @param findings findings reported at this structure
   */
  record Seen(long offset, Layer layer, long index, String type, long length, String decode, long findings) {}

  void seen(Seen structure);
}
