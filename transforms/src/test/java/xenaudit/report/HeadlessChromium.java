package xenaudit.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;

/**
 * Headless Chromium (Debian's package, {@code scripts/lib/ensure-chromium}) for the report's render
 * tests, here and in the pipeline's: every run must exit 0, log no console message, and make no
 * request on the page's behalf. Tests call {@link #requireOrSkip} first: without Chromium they are
 * skipped, unless {@code XENAUDIT_REQUIRE_CHROMIUM=1} (CI), which makes that a failure.
 */
public final class HeadlessChromium {
  public static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final long TIMEOUT_SECONDS = 60;

  private HeadlessChromium() {}

  public static void requireOrSkip() {
    if (!Files.isExecutable(CHROMIUM)) {
      if ("1".equals(System.getenv("XENAUDIT_REQUIRE_CHROMIUM"))) {
        fail(CHROMIUM + " is missing and XENAUDIT_REQUIRE_CHROMIUM=1: run scripts/lib/ensure-chromium");
      }
      assumeTrue(false, CHROMIUM + " is missing (scripts/lib/ensure-chromium installs it): render test skipped");
    }
  }

  /** Chromium's exit, stdout and stderr. */
  public record Run(int exit, String stdout, String stderr) {}

  /** Renders {@code html} with extra arguments (--screenshot=..., --dump-dom); scratch files go in {@code dir}. */
  public static Run render(Path html, Path dir, String... args) throws IOException, InterruptedException {
    Path profile = Files.createTempDirectory(dir, "profile");
    Path out = Files.createTempFile(dir, "stdout", ".txt");
    Path err = Files.createTempFile(dir, "stderr", ".txt");
    Path netLog = profile.resolveSibling(profile.getFileName() + "-netlog.json");
    List<String> cmd = new ArrayList<>(List.of(CHROMIUM.toString(), "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--disable-extensions", "--hide-scrollbars", "--user-data-dir=" + profile,
        "--enable-logging=stderr", "--v=0", "--window-size=1280,2000", "--log-net-log=" + netLog));
    cmd.addAll(List.of(args));
    cmd.add(html.toAbsolutePath().toUri().toString());
    Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
      fail("chromium did not finish within " + TIMEOUT_SECONDS + " s: " + String.join(" ", cmd) + "\n"
          + Files.readString(err, StandardCharsets.UTF_8));
    }
    Run r = new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
    assertEquals(0, r.exit(), "chromium exit status\n" + r.stderr());
    assertQuiet(r.stderr());
    assertPageFetchedNothing(netLog);
    return r;
  }

  /** No console message (the page has no script to print one) and nothing that failed to load. */
  private static void assertQuiet(String stderr) {
    for (String line : stderr.split("\n")) {
      String l = line.toLowerCase(java.util.Locale.ROOT);
      assertTrue(!line.contains("CONSOLE"), "console message: " + line);
      assertTrue(!l.contains("failed to load resource") && !l.contains("net::err_"), "failed load: " + line);
      assertTrue(!l.contains("not allowed to load local resource"), "blocked load: " + line);
    }
  }

  /**
   * No network request made on the page's behalf. Chromium's own background requests (it tries a few
   * even with background networking off) are not the page's: the page's would carry its file://
   * network isolation key. (Loads of local files do not show in the net log; the page has no src, href
   * or url() to make one, which ComplianceReportTest checks.)
   */
  private static void assertPageFetchedNothing(Path netLog) throws IOException {
    assertTrue(Files.isRegularFile(netLog), "chromium wrote no net log");
    JsonNode log = new ObjectMapper().readTree(netLog.toFile());
    int startJob = log.path("constants").path("logEventTypes").path("URL_REQUEST_START_JOB").asInt(-1);
    assertTrue(startJob >= 0, "net log without URL_REQUEST_START_JOB events");
    for (JsonNode e : log.path("events")) {
      if (e.path("type").asInt() == startJob) {
        JsonNode p = e.path("params");
        boolean fromPage = p.path("network_isolation_key").asText().contains("file:")
            || p.path("initiator").asText().startsWith("file:") || p.path("initiator").asText().equals("null");
        assertTrue(!fromPage, "the page made a request: " + p);
      }
    }
  }

  /** A screenshot of the page: a decodable 1280-wide PNG, not blank. */
  public static BufferedImage screenshot(Path html, Path dir) throws IOException, InterruptedException {
    Path png = Files.createTempFile(dir, "page", ".png");
    Files.delete(png);
    render(html, dir, "--screenshot=" + png);
    assertTrue(Files.isRegularFile(png), "no screenshot");
    long size = Files.size(png);
    assertTrue(size > 10_000, "screenshot of " + size + " bytes");
    byte[] bytes = Files.readAllBytes(png);
    assertEquals((byte) 0x89, bytes[0]);
    assertEquals("PNG", new String(bytes, 1, 3, StandardCharsets.US_ASCII));
    BufferedImage img = ImageIO.read(png.toFile());
    assertNotNull(img, "not a decodable PNG");
    assertEquals(1280, img.getWidth());
    assertTrue(img.getHeight() >= 1000, "height " + img.getHeight());
    Set<Integer> colours = new HashSet<>();
    for (int y = 0; y < img.getHeight(); y += 7) {
      for (int x = 0; x < img.getWidth(); x += 7) {
        colours.add(img.getRGB(x, y));
      }
    }
    assertTrue(colours.size() > 20, "only " + colours.size() + " colours: a blank page?");
    return img;
  }
}
