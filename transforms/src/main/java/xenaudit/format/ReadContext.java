package xenaudit.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** What the layer readers of one image share: the input, the scratch buffer and the report. */
final class ReadContext {
  final ByteSource source;
  final ReadOptions options;
  final ImageReport report;
  private final Scratch scratch = new Scratch();

  /** The structure being read, for locating a truncation. */
  Layer layer = Layer.XL;

  long recordIndex = -1;
  String structure = "input";

  void at(Layer layer, long recordIndex, String structure) {
    this.layer = layer;
    this.recordIndex = recordIndex;
    this.structure = structure;
  }

  final RecordObserver observer;

  ReadContext(ByteSource source, ReadOptions options, ImageReport report, RecordObserver observer) {
    this.source = source;
    this.options = options;
    this.report = report;
    this.observer = observer;
  }

  /** Findings reported so far (all severities, listed or not). */
  long findingCount() {
    return report.errorCount() + report.warningCount() + report.infoCount();
  }

  /** Tells the observer of a structure just read; {@code findingsBefore} from {@link #findingCount}. */
  void observe(long offset, Layer layer, long index, String type, long length, String decode, long findingsBefore) {
    if (observer != RecordObserver.NONE) {
      observer.seen(new RecordObserver.Seen(offset, layer, index, type, length, decode, findingCount() - findingsBefore));
    }
  }

  void report(FindingCode code, long offset, long index, String type, Layer layer, String message) {
    report.add(new Finding(code, message, offset, index, type, layer));
  }

  /** Reads a fixed-size structure; a short read is a truncation at {@code structureOffset}. */
  ByteBuffer read(int n, ByteOrder order, long structureOffset) throws IOException {
    return scratch.read(source, n, order, structureOffset);
  }

  /** Reads a record header, or returns null when the input ends exactly here. */
  RecordHeader readRecordHeader() throws IOException {
    ByteBuffer b =
        scratch.readOrNull(source, RecordHeader.SIZE, ByteOrder.LITTLE_ENDIAN, source.position());
    return b == null ? null : RecordHeader.decode(b);
  }

  RecordBody body(RecordHeader h, long recordOffset) {
    return new RecordBody(source, scratch, h.length(), recordOffset);
  }

  /**
   * Skips what the decoder left of the body, then reads and checks the padding.
   *
   * @return true when the padding is zero
   */
  boolean finishRecord(RecordBody body, RecordHeader h, long recordOffset) throws IOException {
    body.skipRest();
    int pad = h.padding();
    if (pad == 0) {
      return true;
    }
    ByteBuffer p = read(pad, ByteOrder.LITTLE_ENDIAN, recordOffset);
    boolean zero = true;
    for (int i = 0; i < pad; i++) {
      zero &= p.get(i) == 0;
    }
    return zero;
  }

  /** Whether the rest of the input is shorter than the record's padded body. */
  boolean bodyPastEnd(RecordHeader h) {
    return h.length() + h.padding() > source.remaining();
  }
}
