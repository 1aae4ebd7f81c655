package xenaudit.format;

/** The input ended inside a structure. Internal control flow: always becomes a TRUNCATED finding. */
final class EndOfInput extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Where the structure that could not be completed starts. */
  final long structureOffset;

  /** What was cut off, when the reader knows more than "the input ended" (or null). */
  final String detail;

  EndOfInput(long structureOffset) {
    this(structureOffset, null);
  }

  EndOfInput(long structureOffset, String detail) {
    super(null, null, false, false);
    this.structureOffset = structureOffset;
    this.detail = detail;
  }
}
