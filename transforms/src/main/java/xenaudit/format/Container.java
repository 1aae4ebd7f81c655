package xenaudit.format;

/** What the first bytes of an input say it is. */
public enum Container {
  /** {@code xl save} file or a capture of {@code xl migrate}: xl header, config, libxl stream. */
  XL("xl"),
  /** A bare libxl stream ({@code LibxlFmt}). */
  LIBXL("libxl"),
  /** A bare libxc stream (eight 0xFF bytes, then {@code XENF}). */
  LIBXC("libxc"),
  /** A libvirt libxl-driver save image: {@code libvirt-xml} header, domain XML, libxl stream. */
  LIBVIRT("libvirt"),
  /** A pre-v2 (Xen 4.5 and older) image; needs {@code convert-legacy-stream}. */
  LEGACY("legacy"),
  /** Empty input, or not a Xen migration image at all. */
  UNKNOWN("unknown");

  private final String label;

  Container(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }
}
