package xenaudit.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Renders a report with headless Chromium (Debian's package, {@code scripts/lib/ensure-chromium}):
 * a screenshot, a print to PDF and the parsed DOM. Chromium must load nothing but the page itself and
 * log no console message. Skipped without Chromium unless {@code XENAUDIT_REQUIRE_CHROMIUM=1}. The
 * page, PNG and PDF stay in {@code target/report-render/} to look at.
 */
class ChromiumRenderTest {
  private static final Path KEEP = Path.of("target", "report-render");

  @TempDir
  static Path dir;

  private static Path html;

  @BeforeEach
  void chromiumIsThere() {
    HeadlessChromium.requireOrSkip();
  }

  @BeforeAll
  static void writeReport() throws IOException {
    Files.createDirectories(KEEP);
    html = KEEP.resolve("report.html").toAbsolutePath();
    try (OutputStream out = Files.newOutputStream(html)) {
      ComplianceReport.write(ReportFleet.build(120).write(dir.resolve("tables"), 2, false),
          ComplianceReportTest.HEADER, out);
    }
  }

  @Test
  void screenshotShowsThePage() throws Exception {
    ImageIO.write(HeadlessChromium.screenshot(html, dir), "png", KEEP.resolve("report.png").toFile());
  }

  @Test
  void printsToPdf() throws Exception {
    Path pdf = dir.resolve("report.pdf");
    HeadlessChromium.render(html, dir, "--no-pdf-header-footer", "--print-to-pdf=" + pdf);
    assertTrue(Files.isRegularFile(pdf), "no PDF");
    byte[] bytes = Files.readAllBytes(pdf);
    assertTrue(bytes.length > 10_000, "PDF of " + bytes.length + " bytes");
    assertEquals("%PDF-", new String(bytes, 0, 5, StandardCharsets.US_ASCII));
    Files.copy(pdf, KEEP.resolve("report.pdf"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }

  @Test
  void domIsTheWholePage() throws Exception {
    HeadlessChromium.Run r = HeadlessChromium.render(html, dir, "--dump-dom");
    String dom = r.stdout();
    assertTrue(dom.contains("</html>"), "no DOM dumped");
    for (String id : List.of("images-total", "status-valid", "verdict-taa-exposed", "verdict-spectre_v2-unknown",
        "feature-md_clear-present", "pools-total", "pool-rack%2Fb%20%26%20%3Cc%3E-guests", "migration-blocked",
        "drift-appeared", "about")) {
      assertTrue(dom.contains("id=\"" + id + "\""), "the parsed page lacks #" + id);
    }
    assertTrue(!dom.contains("<script>alert(1)"), "hostile markup parsed as markup");
    assertEquals(ReportIds.counts(Files.readString(html)).keySet().size(),
        ReportIds.counts(dom).keySet().size(), "every counted element survives parsing");
  }
}
