package xenaudit.policy;

/**
 * A policy text that is not in {@code xen-cpuid -p} form, or says something inconsistent. The
 * message starts with the line it is about ({@code line 7: expected ..., found "..."}).
 */
public final class PolicyTextException extends Exception {
  private static final long serialVersionUID = 1L;

  private final int line;

  /**
   * @param line 1-based line number, or 0 when the problem is the text as a whole (too large, no
   *     block, missing blocks)
   */
  public PolicyTextException(int line, String message) {
    super(line > 0 ? "line " + line + ": " + message : message);
    this.line = line;
  }

  /** 1-based line number, 0 for the whole text. */
  public int line() {
    return line;
  }
}
