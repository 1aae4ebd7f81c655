package xenaudit.pipeline;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/** A test server run as a child JVM on a loopback port: started, waited for, stopped. */
final class ChildServer {
  private ChildServer() {}

  /** A port free on 127.0.0.1 now. */
  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** The {@code java} of this JVM, to start a child with. */
  static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  static boolean listening(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Waits until {@code p} listens on {@code port}; stops it and throws with its log if it does not in time. */
  static void awaitListening(Process p, int port, Path log, String what, Duration timeout)
      throws IOException, InterruptedException {
    Instant deadline = Instant.now().plus(timeout);
    while (!listening(port)) {
      if (!p.isAlive() || Instant.now().isAfter(deadline)) {
        stop(p);
        throw new IOException(what + " did not start on 127.0.0.1:" + port + "; log:\n" + Files.readString(log));
      }
      Thread.sleep(100);
    }
  }

  /** SIGTERM, then SIGKILL after 10 s. */
  static void stop(Process p) {
    p.destroy();
    try {
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
