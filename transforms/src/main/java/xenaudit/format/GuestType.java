package xenaudit.format;

/** The libxc domain type. PVH guests are {@link #X86_HVM} in the stream. */
public enum GuestType {
  X86_PV("x86_pv"),
  X86_HVM("x86_hvm");

  private final String label;

  GuestType(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }
}
