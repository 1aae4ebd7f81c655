package xenaudit.pipeline;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Iceberg's REST catalog test server (the runnable jar of {@code iceberg-open-api}: a JDBC catalog
 * on in-memory SQLite behind the REST protocol) as a child process, its warehouse a local folder.
 * The server writes table metadata itself; data and manifest files are the client's.
 */
final class IcebergRestServer implements AutoCloseable {
  private final Process process;
  private final int port;
  private final Path warehouse;

  private IcebergRestServer(Process process, int port, Path warehouse) {
    this.process = process;
    this.port = port;
    this.warehouse = warehouse;
  }

  static IcebergRestServer start(Path workDir) throws IOException, InterruptedException {
    Path jar = Path.of("target", "iceberg-rest", "iceberg-rest.jar");
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(jar.toAbsolutePath() + " missing: it is copied by the Maven build (process-test-resources)");
    }
    int port = ChildServer.freePort();
    Path warehouse = Files.createDirectories(workDir.resolve("rest-warehouse")).toAbsolutePath();
    Path log = workDir.resolve("iceberg-rest.log");
    ProcessBuilder pb = new ProcessBuilder(ChildServer.java(),
        "-Xmx256m", "-jar", jar.toAbsolutePath().toString())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile());
    // The server turns CATALOG_* variables into catalog properties (CATALOG_REST_PORT -> rest.port).
    pb.environment().put("CATALOG_REST_PORT", String.valueOf(port));
    pb.environment().put("CATALOG_WAREHOUSE", warehouse.toString());
    IcebergRestServer server = new IcebergRestServer(pb.start(), port, warehouse);
    ChildServer.awaitListening(server.process, port, log, "the Iceberg REST server", Duration.ofSeconds(90));
    return server;
  }

  int port() {
    return port;
  }

  Path warehouse() {
    return warehouse;
  }


  @Override
  public void close() {
    ChildServer.stop(process);
  }
}
