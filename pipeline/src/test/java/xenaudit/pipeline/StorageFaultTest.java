package xenaudit.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;
import xenaudit.sample.ManifestEntry;
import xenaudit.sample.SampleFleet;
import xenaudit.transforms.AuditTables;

/**
 * Object storage failing the way it does, between the job and the test S3 server ({@link
 * FaultProxy}), for both S3 clients (--s3LeanGets true and false). Transient faults are retried and
 * change nothing; persistent ones make exactly the object they hit unreadable, with a finding that
 * names the fault and never TRUNCATED (that verdict is for an object's own bytes); a listing that
 * fails is a one-line error; a write that fails fails the job without publishing. Every object is
 * one streams row in every case.
 */
class StorageFaultTest {
  @TempDir static Path work;
  static S3ProxyServer s3;
  static FaultProxy proxy;
  static List<String> files = new ArrayList<>();
  static Map<String, String> clean;

  @BeforeAll
  static void serverProxyAndImages() throws Exception {
    s3 = S3ProxyServer.start(work);
    proxy = s3.faultProxy(5_000);
    Path fleet = work.resolve("fleet");
    for (ManifestEntry e : SampleFleet.generate(
        SampleFleet.Options.defaults(fleet).withGuests(12).withSeed(12).withMemory(64L << 20))) {
      if (e.file().endsWith(".xl")) {
        Files.copy(fleet.resolve(e.file()), s3.bucket("archive").resolve(e.file()));
        files.add(e.file());
      }
    }
    s3.bucket("audit");
    assertTrue(files.size() >= 3, files.toString());
    clean = statuses(audit("clean", true));
  }

  @AfterAll
  static void stop() throws Exception {
    proxy.close();
    s3.close();
  }

  static List<String> args(boolean lean) {
    List<String> a = new ArrayList<>();
    for (String x : s3.beamArgs()) {
      a.add(x.startsWith("--endpoint=") ? "--endpoint=" + proxy.endpoint() : x);
    }
    a.add("--s3LeanGets=" + lean);
    return a;
  }

  static String audit(String name, boolean lean, String... more) throws Exception {
    String out = "s3://audit/" + name + "-" + lean;
    List<String> a = args(lean);
    a.addAll(List.of(more));
    AuditSummary s = AuditPipeline.runAndWait(AuditPipelineTest.options("s3://archive/*", out, a));
    assertEquals(files.size(), s.images(), "every object counted once");
    return name + "-" + lean;
  }

  /** file → status and error codes of its streams row (exactly one per object). */
  static Map<String, String> statuses(String output) throws Exception {
    Map<String, String> m = new TreeMap<>();
    try (DuckDbTables db = new DuckDbTables(s3.bucket("audit").resolve(output))) {
      for (Map<String, Object> r : db.query("SELECT s.source_uri, s.status, string_agg(f.code || ': ' || f.message, '; ' "
          + "ORDER BY f.code) AS why FROM read_parquet('" + db.glob(AuditTables.STREAMS) + "') s LEFT JOIN read_parquet('"
          + db.glob(AuditTables.FINDINGS) + "') f ON f.source_uri = s.source_uri AND f.severity = 'error' GROUP BY ALL")) {
        String file = AuditPipelineTest.fileName(r.get("source_uri"));
        assertTrue(m.put(file, r.get("status") + (r.get("why") == null ? "" : " " + r.get("why"))) == null, "one row: " + file);
      }
    }
    assertEquals(files.size(), m.size(), "every object has its row");
    return m;
  }

  @ParameterizedTest(name = "lean client: {0}")
  @ValueSource(booleans = {true, false})
  void transientFaultsAreRetriedAndChangeNothing(boolean lean) throws Exception {
    proxy.clear();
    List<FaultProxy.Rule> rules = List.of(
        proxy.add("GET", "/archive/" + files.get(0), FaultProxy.Fault.SLOW_DOWN, 1),
        proxy.add("GET", "/archive/" + files.get(0), FaultProxy.Fault.STATUS_500, 1),
        proxy.add("GET", "/archive/" + files.get(1), FaultProxy.Fault.RESET_MID_BODY, 2),
        proxy.add("GET", "/archive/" + files.get(2), FaultProxy.Fault.SHORT_BODY, 2));
    Map<String, String> got = statuses(audit("transient", lean));
    proxy.clear();
    for (FaultProxy.Rule r : rules) {
      assertTrue(r.hits.get() > 0, r.fault + " was injected");
    }
    assertEquals(clean, got);
  }

  @ParameterizedTest(name = "lean client: {0}")
  @ValueSource(booleans = {true, false})
  void persistentFaultsMakeThatObjectUnreadableAndSaySo(boolean lean) throws Exception {
    proxy.clear();
    proxy.add("GET", "/archive/" + files.get(0), FaultProxy.Fault.STATUS_500, -1);
    proxy.add("GET", "/archive/" + files.get(1), FaultProxy.Fault.NO_BODY, -1);
    proxy.add("GET", "/archive/" + files.get(2), FaultProxy.Fault.RESET_BEFORE_BODY, -1);
    // Every body cut in half, every time: each GET still brings bytes, so the object is read whole.
    proxy.add("GET", "/archive/" + files.get(3), FaultProxy.Fault.SHORT_BODY, -1);
    Map<String, String> got = statuses(audit("persistent", lean));
    proxy.clear();
    for (int i = 0; i < files.size(); i++) {
      String row = got.get(files.get(i));
      assertFalse(row.contains("TRUNCATED"), "a network fault is not a truncated image: " + row);
      if (i < 3) {
        assertTrue(row.startsWith("unreadable READ_ERROR: "), files.get(i) + ": " + row);
      } else {
        assertEquals(clean.get(files.get(i)), row, files.get(i) + (i == 3 ? ", read in halves," : "") + " as without faults");
      }
    }
    assertTrue(got.get(files.get(0)).matches(".*(HTTP 500|Status Code: 500).*"), got.get(files.get(0)));
    assertTrue(got.get(files.get(1)).contains("resumed GETs"), got.get(files.get(1)));
  }

  @ParameterizedTest(name = "lean client: {0}")
  @ValueSource(booleans = {true, false})
  void aRangeAnsweredWithTheWholeObjectIsNeverMistakenForItsBytes(boolean lean) throws Exception {
    proxy.clear();
    proxy.add("GET", "/archive/" + files.get(0), FaultProxy.Fault.RANGE_AS_WHOLE, -1);
    Map<String, String> got = statuses(audit("whole", lean));
    proxy.clear();
    String row = got.get(files.get(0));
    assertTrue(row.equals(clean.get(files.get(0))) || row.startsWith("unreadable READ_ERROR: "), row);
    assertFalse(row.contains("TRUNCATED") || row.startsWith("invalid"), row);
  }

  /** A server that stalls past the read timeout (--httpClientConfiguration, honoured by both clients). */
  @ParameterizedTest(name = "lean client: {0}")
  @ValueSource(booleans = {true, false})
  void aStallIsATimeoutThenARetry(boolean lean) throws Exception {
    proxy.clear();
    FaultProxy.Rule once = proxy.add("GET", "/archive/" + files.get(0), FaultProxy.Fault.STALL, 1);
    String timeouts = "--httpClientConfiguration={\"socketTimeout\":1000,\"connectionTimeout\":1000}";
    assertEquals(clean, statuses(audit("stall-once", lean, timeouts)));
    assertEquals(1, once.hits.get());
    proxy.clear();
    proxy.add("GET", "/archive/" + files.get(0), FaultProxy.Fault.STALL, -1);
    Map<String, String> got = statuses(audit("stall-always", lean, timeouts));
    proxy.clear();
    String row = got.get(files.get(0));
    assertTrue(row.startsWith("unreadable READ_ERROR: ") && row.toLowerCase(java.util.Locale.ROOT).contains("timed out"), row);
  }

  /** A server whose clock is ahead: the request is signed again with the server's time. */
  @ParameterizedTest(name = "lean client: {0}")
  @ValueSource(booleans = {true, false})
  void aSkewedClockIsCorrectedFromTheServersDate(boolean lean) throws Exception {
    proxy.clear();
    proxy.amzDates.clear();
    FaultProxy.Rule skewed = proxy.add("GET", "/archive/" + files.get(0), FaultProxy.Fault.SKEWED, 1);
    long now = System.currentTimeMillis();
    assertEquals(clean, statuses(audit("skewed", lean)));
    proxy.clear();
    assertEquals(1, skewed.hits.get());
    java.time.format.DateTimeFormatter amz = java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmssX");
    // Requests already under way keep their time; the retry, and what follows, carry the server's.
    boolean adjusted = proxy.amzDates.stream().filter(d -> d.startsWith("/archive/" + files.get(0) + " "))
        .mapToLong(d -> java.time.ZonedDateTime.parse(d.substring(d.indexOf(' ') + 1), amz).toInstant().toEpochMilli())
        .anyMatch(t -> Math.abs(t - now - FaultProxy.SKEW_MILLIS) < 120_000);
    assertTrue(adjusted, "the retry was signed with the server's clock: " + proxy.amzDates);
  }

  /** A bucket in another region (301 PermanentRedirect, x-amz-bucket-region): signed again for it. */
  @org.junit.jupiter.api.Test
  void theLeanClientFollowsARegionRedirect() throws Exception {
    proxy.clear();
    proxy.authorizations.clear();
    FaultProxy.Rule redirect = proxy.add("GET", "/archive/" + files.get(0), FaultProxy.Fault.WRONG_REGION, 1);
    assertEquals(clean, statuses(audit("redirect", true)));
    proxy.clear();
    assertEquals(1, redirect.hits.get());
    assertTrue(proxy.authorizations.stream().anyMatch(a -> a.startsWith("/archive/" + files.get(0) + " ")
        && a.contains("/" + FaultProxy.OTHER_REGION + "/s3/aws4_request")), proxy.authorizations::toString);
  }

  @ParameterizedTest(name = "lean client: {0}")
  @ValueSource(booleans = {true, false})
  void listingFaults(boolean lean) throws Exception {
    proxy.clear();
    proxy.add("GET", "/archive?", FaultProxy.Fault.SLOW_DOWN, 1);
    assertEquals(clean, statuses(audit("list-transient", lean)));
    proxy.clear();
    proxy.add("GET", "/archive?", FaultProxy.Fault.STATUS_500, -1);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> audit("list-down", lean));
    proxy.clear();
    assertTrue(e.getMessage().startsWith("--input s3://archive/* cannot be listed: ") && !e.getMessage().contains("\n"),
        e.getMessage());
  }

  @ParameterizedTest(name = "lean client: {0}")
  @ValueSource(booleans = {true, false})
  void aWriteThatFailsFailsTheJobAndPublishesNothing(boolean lean) throws Exception {
    proxy.clear();
    proxy.add("PUT", "/audit/", FaultProxy.Fault.SLOW_DOWN, 1);
    assertEquals(clean, statuses(audit("write-transient", lean)));
    proxy.clear();
    proxy.add("PUT", "/audit/", FaultProxy.Fault.STATUS_500, -1);
    proxy.add("POST", "/audit/", FaultProxy.Fault.STATUS_500, -1);
    assertThrows(Exception.class, () -> audit("write-down", lean));
    proxy.clear();
    Path out = s3.bucket("audit").resolve("write-down-" + lean);
    assertFalse(Files.exists(out.resolve(AuditTables.STREAMS)), "no table published");
  }
}
