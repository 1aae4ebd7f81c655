package xenaudit.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import xenaudit.sample.ManifestEntry;
import xenaudit.sample.SampleFleet;

/**
 * A secret key given to the job never appears in anything the run writes: its stdout and stderr
 * (including every log line, in a JVM of its own), its tables, baselines and report; neither on
 * success, nor when the server refuses the key, nor when the option holding it does not parse.
 */
class CredentialHygieneTest {
  @TempDir Path dir;

  @Test
  void theSecretKeyIsInNothingTheRunWrites() throws Exception {
    try (S3ProxyServer s3 = S3ProxyServer.start(dir)) {
      Path fleet = dir.resolve("fleet");
      for (ManifestEntry e : SampleFleet.generate(
          SampleFleet.Options.defaults(fleet).withGuests(3).withSeed(4).withMemory(4L << 20).withCorrupt(true))) {
        Files.copy(fleet.resolve(e.file()), s3.bucket("archive").resolve(e.file()));
      }
      s3.bucket("audit");
      List<String> common = new ArrayList<>(s3.beamArgs());
      common.addAll(List.of("--input=s3://archive/*", "--poolKey=guest-000(\\d)"));

      String ok = run(common, "--output=s3://audit/ok");
      assertTrue(ok.contains("images audited"), ok);
      assertNoSecret(ok, S3ProxyServer.SECRET_KEY);
      try (Stream<Path> files = Files.walk(s3.bucket("audit"))) {
        long n = 0;
        for (Path f : (Iterable<Path>) files::iterator) {
          if (Files.isRegularFile(f)) {
            assertNoSecret(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1), S3ProxyServer.SECRET_KEY);
            n++;
          }
        }
        assertTrue(n > 10, "the tables were written: " + n + " files");
      }

      String wrongSecret = "WRONG-xenaudit-secret-4f2a";
      List<String> refused = new ArrayList<>();
      for (String a : common) {
        refused.add(a.replace(S3ProxyServer.SECRET_KEY, wrongSecret));
      }
      String out = run(refused, "--output=s3://audit/refused");
      assertTrue(out.contains("cannot be listed") && out.contains("403"), out);
      assertNoSecret(out, wrongSecret);

      List<String> malformed = new ArrayList<>();
      for (String a : common) {
        malformed.add(a.startsWith("--awsCredentialsProvider=") ? a.substring(0, a.length() - 1) : a);
      }
      out = run(malformed, "--output=s3://audit/malformed");
      assertTrue(out.contains("Unable to parse JSON value"), out);
      assertNoSecret(out, S3ProxyServer.SECRET_KEY);
    }
  }

  private static void assertNoSecret(String text, String secret) {
    assertFalse(text.contains(secret), "the secret is in: " + text.replace(secret, "<<SECRET>>"));
  }

  /** The command in a JVM of its own; its stdout and stderr together. */
  private String run(List<String> args, String... more) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx512m", "-cp", System.getProperty("java.class.path"), "xenaudit.pipeline.AuditPipeline"));
    cmd.addAll(args);
    cmd.addAll(List.of(more));
    Path log = Files.createTempFile(dir, "run", ".log");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertTrue(p.waitFor(3, TimeUnit.MINUTES), "timed out: " + Files.readString(log));
    String out = Files.readString(log);
    assertEquals(out.contains("images audited") ? 0 : 2, p.exitValue(), out);
    return out;
  }
}
