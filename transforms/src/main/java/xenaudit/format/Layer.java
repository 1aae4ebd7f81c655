package xenaudit.format;

/** The framing layer a finding belongs to. */
public enum Layer {
  /** The container around the libxl stream: the xl save-file header or the libvirt header. */
  XL,
  LIBXL,
  LIBXC;

  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
