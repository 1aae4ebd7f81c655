package xenaudit.format;

import java.util.EnumMap;
import java.util.Map;

/**
 * The findings of one record. A hostile record can break the same rule thousands of times (a
 * 100 MiB policy of bad entries); each code is listed a few times per record, then the rest are
 * summed up in one finding when the record is done.
 */
final class RecordFindings implements Located {
  static final int PER_CODE = 8;

  private final ReadContext ctx;
  private final long offset;
  private final long index;
  private final String type;
  private final Layer layer;
  private Map<FindingCode, Integer> counts;

  RecordFindings(ReadContext ctx, long offset, long index, String type, Layer layer) {
    this.ctx = ctx;
    this.offset = offset;
    this.index = index;
    this.type = type;
    this.layer = layer;
  }

  @Override
  public void report(FindingCode code, String message) {
    if (counts == null) {
      counts = new EnumMap<>(FindingCode.class);
    }
    int n = counts.merge(code, 1, Integer::sum);
    if (n <= PER_CODE) {
      ctx.report(code, offset, index, type, layer, message);
    }
  }

  /** Reports, once per code, how many further findings were folded. */
  void close() {
    if (counts == null) {
      return;
    }
    for (Map.Entry<FindingCode, Integer> e : counts.entrySet()) {
      if (e.getValue() > PER_CODE) {
        ctx.report(e.getKey(), offset, index, type, layer,
            (e.getValue() - PER_CODE) + " more " + e.getKey() + " findings in this record (not listed)");
      }
    }
  }
}
