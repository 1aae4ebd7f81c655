package xenaudit.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import xenaudit.sample.ManifestEntry;
import xenaudit.sample.SampleFleet;
import xenaudit.transforms.io.LeanS3Client;
import xenaudit.transforms.io.S3RangedChannel;
import xenaudit.transforms.io.S3RangedReads;

/**
 * xenaudit's own S3 client over HTTPS, against s3proxy serving a test certificate made here
 * (keytool): it reads through a trust store that holds the certificate, and fails closed (no byte
 * read) for a certificate it does not trust, for the JDK's default trust store, and for a host
 * name the certificate does not carry. Verification is never turned off. The whole audit runs
 * over HTTPS too, trusting the certificate the way users would: {@code -Djavax.net.ssl.trustStore}.
 */
class S3TlsTest {
  private static final String PASS = "xenaudit-test-store";
  @TempDir static Path dir;
  static Path serverKeys;
  static Path trusted;
  static Path impostorTrust;

  @BeforeAll
  static void certificates() throws Exception {
    serverKeys = keypair("server");
    trusted = trustStoreOf(serverKeys, "server");
    impostorTrust = trustStoreOf(keypair("impostor"), "impostor");
  }

  /** A self-signed key pair for 127.0.0.1 in a PKCS12 keystore. */
  private static Path keypair(String alias) throws Exception {
    Path p = dir.resolve(alias + ".p12");
    keytool("-genkeypair", "-alias", alias, "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=xenaudit-" + alias,
        "-ext", "SAN=IP:127.0.0.1", "-validity", "2", "-storetype", "PKCS12", "-keystore", p.toString(),
        "-storepass", PASS, "-keypass", PASS);
    return p;
  }

  private static Path trustStoreOf(Path keys, String alias) throws Exception {
    Path cert = dir.resolve(alias + ".crt");
    keytool("-exportcert", "-alias", alias, "-keystore", keys.toString(), "-storepass", PASS, "-file", cert.toString());
    Path store = dir.resolve(alias + "-trust.p12");
    keytool("-importcert", "-noprompt", "-alias", alias, "-file", cert.toString(), "-storetype", "PKCS12",
        "-keystore", store.toString(), "-storepass", PASS);
    return store;
  }

  private static void keytool(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "keytool: " + out);
  }

  private static SSLSocketFactory trusting(Path store) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(store)) {
      ks.load(in, PASS.toCharArray());
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx.getSocketFactory();
  }

  private static byte[] read(String endpoint, SSLSocketFactory tls, String uri, long size) throws IOException {
    LeanS3Client client = new LeanS3Client(URI.create(endpoint), "us-east-1", true, StaticCredentialsProvider.create(
        AwsBasicCredentials.create(S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY)), tls);
    try (S3RangedReads reads = new S3RangedReads(client, null, 4096); S3RangedChannel ch = reads.open(uri, size)) {
      ByteBuffer b = ByteBuffer.allocate((int) size);
      while (b.hasRemaining() && ch.read(b) >= 0) {
        // read to the end
      }
      return b.array();
    }
  }

  private static void assertFailsClosed(IOException e, String why) {
    Throwable t = e;
    boolean tls = false;
    while (t != null) {
      tls |= t instanceof javax.net.ssl.SSLException || t instanceof java.security.cert.CertificateException;
      t = t.getCause();
    }
    assertTrue(tls, why + ": the refusal is the TLS handshake's, got " + e);
  }

  @Test
  void theLeanClientReadsFromATrustedServerAndFailsClosedOtherwise() throws Exception {
    try (S3ProxyServer s3 = S3ProxyServer.start(dir.resolve("lean"), serverKeys, PASS)) {
      byte[] data = new byte[200_000];
      new Random(7).nextBytes(data);
      Files.write(s3.bucket("tls").resolve("object.bin"), data);
      String uri = "s3://tls/object.bin";
      assertTrue(s3.endpoint().startsWith("https://"));

      assertArrayEquals(data, read(s3.endpoint(), trusting(trusted), uri, data.length), "over a trusted TLS");
      assertFailsClosed(assertThrows(IOException.class, () -> read(s3.endpoint(), trusting(impostorTrust), uri,
          data.length)), "a certificate the trust store does not hold");
      assertFailsClosed(assertThrows(IOException.class, () -> read(s3.endpoint(), null, uri, data.length)),
          "the JDK's default trust store (a self-signed certificate is not in it)");
      String byName = s3.endpoint().replace("127.0.0.1", "localhost");
      assertFailsClosed(assertThrows(IOException.class, () -> read(byName, trusting(trusted), uri, data.length)),
          "a host name the certificate does not carry");
    }
  }

  /** The audit over HTTPS end to end (listing by the AWS SDK, reads by the lean client), and refused without trust. */
  @Test
  void aWholeAuditOverHttpsTrustsWhatTheTrustStoreHolds() throws Exception {
    try (S3ProxyServer s3 = S3ProxyServer.start(dir.resolve("job"), serverKeys, PASS)) {
      Path fleet = dir.resolve("fleet");
      List<ManifestEntry> images = SampleFleet.generate(
          SampleFleet.Options.defaults(fleet).withGuests(3).withSeed(6).withMemory(4L << 20));
      for (ManifestEntry e : images) {
        Files.copy(fleet.resolve(e.file()), s3.bucket("archive").resolve(e.file()));
      }
      Path out = dir.resolve("out");
      String log = audit(s3, trusted, out, 0);
      assertTrue(log.contains("xenaudit: " + images.size() + " images audited") && log.contains("s3 ranged GETs: "), log);
      try (DuckDbTables db = new DuckDbTables(out)) {
        assertEquals(images.size(), db.rows(xenaudit.transforms.AuditTables.STREAMS, "WHERE status = 'valid'").size());
      }
      String refused = audit(s3, impostorTrust, dir.resolve("out-refused"), 2);
      assertTrue(refused.contains("cannot be listed"), refused);
    }
  }

  private static String audit(S3ProxyServer s3, Path trustStore, Path out, int exit) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx512m", "-Djavax.net.ssl.trustStore=" + trustStore, "-Djavax.net.ssl.trustStorePassword=" + PASS,
        "-Djavax.net.ssl.trustStoreType=PKCS12", "-cp", System.getProperty("java.class.path"),
        "xenaudit.pipeline.AuditPipeline", "--input=s3://archive/*", "--output=" + out, "--auditRunId=tls"));
    cmd.addAll(s3.beamArgs());
    Path log = Files.createTempFile(dir, "audit", ".log");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertTrue(p.waitFor(3, TimeUnit.MINUTES), Files.readString(log));
    assertEquals(exit, p.exitValue(), Files.readString(log));
    return Files.readString(log);
  }
}
