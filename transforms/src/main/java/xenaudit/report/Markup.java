package xenaudit.report;

import java.nio.charset.StandardCharsets;

/** HTML text escaping and the element-id form of data values (see {@link ComplianceReport}). */
final class Markup {
  private Markup() {}

  /**
   * {@code s} as HTML text or attribute value: {@code & < > " '} as entities, C0 control characters
   * other than tab, newline and carriage return (not allowed in HTML) and lone surrogates as U+FFFD;
   * {@code null} as the empty string.
   */
  static String text(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder b = null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      String r = switch (c) {
        case '&' -> "&amp;";
        case '<' -> "&lt;";
        case '>' -> "&gt;";
        case '"' -> "&quot;";
        case '\'' -> "&#39;";
        default -> plain(s, i) ? null : "\uFFFD";
      };
      if (r != null && b == null) {
        b = new StringBuilder(s.length() + 16).append(s, 0, i);
      }
      if (b != null) {
        if (r != null) {
          b.append(r);
        } else {
          b.append(c);
        }
      }
    }
    return b == null ? s : b.toString();
  }

  private static boolean plain(String s, int i) {
    char c = s.charAt(i);
    if (c < 0x20) {
      return c == '\t' || c == '\n' || c == '\r';
    }
    if (c == 0x7F) {
      return false;
    }
    if (Character.isHighSurrogate(c)) {
      return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
    }
    if (Character.isLowSurrogate(c)) {
      return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }
    return true;
  }

  /**
   * A data value as part of an element id: every UTF-8 byte outside {@code [A-Za-z0-9_.-]} is written
   * {@code %XX} (upper-case hex), and the empty string is {@code %}. Injective, and the result needs no
   * further HTML escaping.
   */
  static String id(String value) {
    if (value.isEmpty()) {
      return "%";
    }
    StringBuilder s = new StringBuilder(value.length());
    for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xFF;
      boolean plain = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.'
          || c == '-';
      if (plain) {
        s.append((char) c);
      } else {
        s.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xF, 16)));
      }
    }
    return s.toString();
  }
}
