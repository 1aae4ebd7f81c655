package xenaudit.pipeline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A real S3-compatible server (s3proxy, filesystem backend) run as a child process on 127.0.0.1
 * for the tests. Objects are plain files under {@code <basedir>/<bucket>/<key>}.
 */
final class S3ProxyServer implements AutoCloseable {
  static final String ACCESS_KEY = "xenaudit-test";
  static final String SECRET_KEY = "xenaudit-test-secret";

  private final Process process;
  private final int port;
  private final Path basedir;

  private final boolean tls;

  private S3ProxyServer(Process process, int port, Path basedir, boolean tls) {
    this.process = process;
    this.port = port;
    this.basedir = basedir;
    this.tls = tls;
  }

  static S3ProxyServer start(Path workDir) throws IOException, InterruptedException {
    return start(workDir, null, null);
  }

  /** With a keystore (PKCS12), the server speaks HTTPS only, with the keystore's certificate. */
  static S3ProxyServer start(Path workDir, Path keystore, String password) throws IOException, InterruptedException {
    Path jar = Path.of("target", "s3proxy", "s3proxy.jar");
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(jar.toAbsolutePath() + " missing: it is copied by the Maven build (process-test-resources)");
    }
    int port = ChildServer.freePort();
    Path basedir = Files.createDirectories(workDir.resolve("s3-data"));
    Path props = workDir.resolve("s3proxy.properties");
    List<String> endpoint = keystore == null ? List.of("s3proxy.endpoint=http://127.0.0.1:" + port)
        : List.of("s3proxy.secure-endpoint=https://127.0.0.1:" + port,
            "s3proxy.keystore-path=" + keystore.toAbsolutePath(), "s3proxy.keystore-password=" + password);
    List<String> lines = new java.util.ArrayList<>(endpoint);
    lines.addAll(List.of(
        "s3proxy.authorization=aws-v2-or-v4",
        "s3proxy.identity=" + ACCESS_KEY,
        "s3proxy.credential=" + SECRET_KEY,
        "jclouds.provider=filesystem-nio2",
        "jclouds.identity=unused",
        "jclouds.credential=unused",
        "jclouds.filesystem.basedir=" + basedir.toAbsolutePath()));
    Files.write(props, lines);
    Path log = workDir.resolve("s3proxy.log");
    Process p = new ProcessBuilder(ChildServer.java(),
            "-Xmx256m", "-jar", jar.toAbsolutePath().toString(), "--properties", props.toString())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    S3ProxyServer server = new S3ProxyServer(p, port, basedir, keystore != null);
    ChildServer.awaitListening(p, port, log, "s3proxy", Duration.ofSeconds(60));
    return server;
  }

  int port() {
    return port;
  }

  String endpoint() {
    return (tls ? "https" : "http") + "://127.0.0.1:" + port;
  }

  /**
   * A {@link FaultProxy} in front of this server (stalls last {@code stallMillis}); a ranged GET it
   * answers whole reads the object's file.
   */
  FaultProxy faultProxy(long stallMillis) throws IOException {
    return new FaultProxy(port, path -> {
      String p = path.startsWith("/") ? path.substring(1) : path;
      return bucket(p.substring(0, p.indexOf('/'))).resolve(p.substring(p.indexOf('/') + 1));
    }, stallMillis);
  }

  /** Creates a bucket by creating its directory (the filesystem backend's representation). */
  Path bucket(String name) {
    try {
      return Files.createDirectories(basedir.resolve(name));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Beam pipeline arguments that point the S3 filesystem at this server. */
  List<String> beamArgs() {
    return List.of(
        "--awsRegion=us-east-1",
        "--endpoint=" + endpoint(),
        "--s3PathStyle=true",
        "--awsCredentialsProvider={\"@type\":\"StaticCredentialsProvider\",\"accessKeyId\":\""
            + ACCESS_KEY + "\",\"secretAccessKey\":\"" + SECRET_KEY + "\"}");
  }



  @Override
  public void close() {
    ChildServer.stop(process);
  }
}
