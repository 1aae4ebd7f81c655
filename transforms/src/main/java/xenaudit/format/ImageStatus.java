package xenaudit.format;

/** The verdict on one input. */
public enum ImageStatus {
  /** Read to the end with no error finding. */
  VALID,
  /** Readable, with at least one error finding (including "not a Xen image" and truncation). */
  INVALID,
  /** The bytes could not be read at all or not to the end (I/O error, missing, no permission). */
  UNREADABLE;

  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
