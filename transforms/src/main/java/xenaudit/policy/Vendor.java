package xenaudit.policy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/** CPU vendor, from the 12-character string CPUID leaf 0 returns in ebx, edx, ecx. */
public enum Vendor {
  INTEL,
  AMD,
  HYGON,
  OTHER;

  public static Vendor of(int ebx, int edx, int ecx) {
    String s = string(ebx, edx, ecx);
    return switch (s) {
      case "GenuineIntel" -> INTEL;
      case "AuthenticAMD" -> AMD;
      case "HygonGenuine" -> HYGON;
      default -> OTHER;
    };
  }

  /** The vendor string (Latin-1, as the CPU returns it). */
  public static String string(int ebx, int edx, int ecx) {
    ByteBuffer b = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putInt(ebx).putInt(edx).putInt(ecx);
    return new String(b.array(), StandardCharsets.ISO_8859_1);
  }

  /** {@code intel}, {@code amd}, {@code hygon}, {@code other}. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
