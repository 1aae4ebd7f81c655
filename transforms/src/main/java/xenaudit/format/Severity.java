package xenaudit.format;

/** How bad a finding is. An image is valid when it has no {@link #ERROR} finding. */
public enum Severity {
  /** Xen would refuse the image, or the audit data taken from it cannot be trusted. */
  ERROR,
  /** Xen restores the image, but something is off the spec or suspicious. */
  WARNING,
  /** A fact worth recording (legacy conversion, checkpointed stream, migration handshake). */
  INFO;

  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
