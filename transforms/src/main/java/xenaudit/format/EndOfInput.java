package xenaudit.format;

/** The input ended inside a structure. Internal control flow: always becomes a TRUNCATED finding. */
final class EndOfInput extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Where the structure that could not be completed starts. */
  final long structureOffset;

  EndOfInput(long structureOffset) {
    super(null, null, false, false);
    this.structureOffset = structureOffset;
  }
}
