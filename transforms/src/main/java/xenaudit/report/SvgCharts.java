package xenaudit.report;

import java.util.List;
import java.util.Locale;

/**
 * Inline SVG charts (no script, no external reference): a stacked bar of shares, and horizontal
 * stacked bars with a label and a count per row. Shares are drawn in whole-pixel widths; the exact
 * counts are always printed beside them.
 */
final class SvgCharts {
  private SvgCharts() {}

  /** One part of a stacked bar: its count, CSS class (the colour) and label (the tooltip). */
  record Part(long count, String cssClass, String label) {}

  /** One row of a bar chart. */
  record Row(String label, List<Part> parts, String note) {}

  /** A single stacked bar {@code width} × {@code height} px; a grey outline when every count is 0. */
  static String stackedBar(List<Part> parts, int width, int height, String ariaLabel) {
    return stackedBar(parts, width, height, ariaLabel, false);
  }

  /** As above; {@code fluid}: drawn {@code width} units wide but stretched to the width of its container. */
  static String stackedBar(List<Part> parts, int width, int height, String ariaLabel, boolean fluid) {
    StringBuilder s = new StringBuilder(256);
    s.append("<svg class=\"bar\" width=\"").append(fluid ? "100%" : String.valueOf(width))
        .append("\" height=\"").append(height).append("\" viewBox=\"0 0 ").append(width).append(' ').append(height)
        .append(fluid ? "\" preserveAspectRatio=\"none" : "")
        .append("\" role=\"img\" aria-label=\"").append(Markup.text(ariaLabel)).append("\">");
    s.append("<rect class=\"track\" x=\"0\" y=\"0\" width=\"").append(width).append("\" height=\"").append(height)
        .append("\"/>");
    segments(s, parts, 0, 0, width, height, total(parts));
    s.append("</svg>");
    return s.toString();
  }

  /**
   * Horizontal stacked bars, one per row, every bar scaled to {@code scale} (e.g. the number of guests);
   * the row's label on the left, its note on the right.
   */
  static String barChart(List<Row> rows, long scale, int labelWidth, int barWidth, String ariaLabel) {
    int rowHeight = 18;
    int barHeight = 12;
    int noteWidth = 150;
    int width = labelWidth + barWidth + noteWidth;
    int height = rows.size() * rowHeight + 4;
    StringBuilder s = new StringBuilder(256 + rows.size() * 400);
    s.append("<svg class=\"chart\" width=\"").append(width)
        .append("\" height=\"").append(height).append("\" viewBox=\"0 0 ").append(width).append(' ').append(height)
        .append("\" role=\"img\" aria-label=\"").append(Markup.text(ariaLabel)).append("\">");
    for (int i = 0; i < rows.size(); i++) {
      Row r = rows.get(i);
      int y = 2 + i * rowHeight;
      int barY = y + (rowHeight - barHeight) / 2;
      if (i % 2 == 1) {
        s.append("<rect class=\"stripe\" x=\"0\" y=\"").append(y).append("\" width=\"").append(width)
            .append("\" height=\"").append(rowHeight).append("\"/>");
      }
      s.append("<text class=\"label\" x=\"").append(labelWidth - 8).append("\" y=\"").append(y + 13)
          .append("\" text-anchor=\"end\">").append(Markup.text(r.label())).append("</text>");
      s.append("<rect class=\"track\" x=\"").append(labelWidth).append("\" y=\"").append(barY)
          .append("\" width=\"").append(barWidth).append("\" height=\"").append(barHeight).append("\"/>");
      segments(s, r.parts(), labelWidth, barY, barWidth, barHeight, scale);
      s.append("<text class=\"note\" x=\"").append(labelWidth + barWidth + 8).append("\" y=\"").append(y + 13)
          .append("\">").append(Markup.text(r.note())).append("</text>");
    }
    s.append("</svg>");
    return s.toString();
  }

  private static long total(List<Part> parts) {
    long t = 0;
    for (Part p : parts) {
      t += p.count();
    }
    return t;
  }

  /** The parts side by side from x0, widths by share of {@code scale} (cumulative, so they add up exactly). */
  private static void segments(StringBuilder s, List<Part> parts, int x0, int y, int width, int height, long scale) {
    if (scale <= 0) {
      return;
    }
    long cumulative = 0;
    int prev = 0;
    for (Part p : parts) {
      cumulative += p.count();
      int end = (int) Math.round((double) Math.min(cumulative, scale) * width / scale);
      if (p.count() > 0 && end == prev && end < width) {
        end = prev + 1; // a non-zero share stays visible
      }
      if (end > prev) {
        s.append("<rect class=\"").append(p.cssClass()).append("\" x=\"").append(x0 + prev).append("\" y=\"")
            .append(y).append("\" width=\"").append(end - prev).append("\" height=\"").append(height)
            .append("\"><title>").append(Markup.text(p.label())).append(": ")
            .append(String.format(Locale.ROOT, "%,d", p.count())).append("</title></rect>");
        prev = end;
      }
    }
  }
}
