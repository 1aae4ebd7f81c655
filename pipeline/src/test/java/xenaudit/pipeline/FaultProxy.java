package xenaudit.pipeline;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * An HTTP/1.1 proxy on 127.0.0.1 in front of the test S3 server that injects the faults object
 * storage really has, per request, by rules: an error status (500, 503 SlowDown), a connection reset
 * in the middle of the body, a body shorter than its Content-Length, a stall past the client's read
 * timeout, a ranged GET answered with 200 and the whole object. Requests no rule takes are relayed
 * unchanged (to the server with {@code Connection: close}, so each response ends with the server's
 * connection). Every request is counted.
 */
final class FaultProxy implements AutoCloseable {
  enum Fault {
    STATUS_500, SLOW_DOWN,
    /** Half the body, then a reset (RST) or a close (FIN: the body is shorter than its Content-Length). */
    RESET_MID_BODY, SHORT_BODY,
    /** The response head, then a reset or a close: no byte of the body. */
    RESET_BEFORE_BODY, NO_BODY,
    STALL, RANGE_AS_WHOLE,
    /** 403 RequestTimeTooSkewed, its Date header {@link #SKEW_MILLIS} ahead of this machine's clock. */
    SKEWED,
    /** 301 PermanentRedirect: the bucket is in {@link #OTHER_REGION}. */
    WRONG_REGION
  }

  static final String OTHER_REGION = "eu-west-3";

  static final long SKEW_MILLIS = 10 * 60_000;

  /** Requests whose method and path (with query) match take the fault, {@code times} times (-1: always). */
  static final class Rule {
    final String method;
    final String pathContains;
    final Fault fault;
    final AtomicInteger left;
    final AtomicInteger hits = new AtomicInteger();

    Rule(String method, String pathContains, Fault fault, int times) {
      this.method = method;
      this.pathContains = pathContains;
      this.fault = fault;
      this.left = new AtomicInteger(times);
    }

    boolean takes(String m, String path) {
      if (!m.equals(method) || !path.contains(pathContains)) {
        return false;
      }
      int n = left.getAndUpdate(x -> x > 0 ? x - 1 : x);
      if (n == 0) {
        return false;
      }
      hits.incrementAndGet();
      return true;
    }
  }

  private final ServerSocket server;
  private final int upstreamPort;
  private final List<Rule> rules = new CopyOnWriteArrayList<>();
  private final AtomicInteger requests = new AtomicInteger();
  /** Method and path (with query) of every request, in order. */
  final List<String> requestLines = new CopyOnWriteArrayList<>();
  /** x-amz-date of every request, in order. */
  final List<String> amzDates = new CopyOnWriteArrayList<>();
  /** Authorization header of every request (its credential scope names the signing region). */
  final List<String> authorizations = new CopyOnWriteArrayList<>();
  /** The object a path names, as stored by the server (for RANGE_AS_WHOLE). */
  private final Function<String, Path> objectFile;
  private final long stallMillis;

  FaultProxy(int upstreamPort, Function<String, Path> objectFile, long stallMillis) throws IOException {
    this.upstreamPort = upstreamPort;
    this.objectFile = objectFile;
    this.stallMillis = stallMillis;
    this.server = new ServerSocket(0, 100, InetAddress.getLoopbackAddress());
    Thread t = new Thread(this::acceptLoop, "fault-proxy");
    t.setDaemon(true);
    t.start();
  }

  String endpoint() {
    return "http://127.0.0.1:" + server.getLocalPort();
  }

  Rule add(String method, String pathContains, Fault fault, int times) {
    Rule r = new Rule(method, pathContains, fault, times);
    rules.add(r);
    return r;
  }

  void clear() {
    rules.clear();
  }

  int requests() {
    return requests.get();
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        Thread t = new Thread(() -> serve(client), "fault-proxy-conn");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(Socket client) {
    try (client) {
      InputStream in = client.getInputStream();
      OutputStream out = client.getOutputStream();
      while (true) {
        byte[] head = readHead(in);
        if (head == null) {
          return;
        }
        String text = new String(head, StandardCharsets.ISO_8859_1);
        String[] line = text.substring(0, text.indexOf("\r\n")).split(" ");
        String method = line[0];
        String path = line[1];
        if (text.toLowerCase(Locale.ROOT).contains("\r\nexpect: 100-continue")) {
          out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
          out.flush();
          text = text.replaceAll("(?i)\r\nexpect: 100-continue", "");
        }
        byte[] body = in.readNBytes((int) headerLong(text, "content-length", 0));
        requests.incrementAndGet();
        requestLines.add(method + " " + path);
        for (String l : text.split("\r\n")) {
          if (l.toLowerCase(Locale.ROOT).startsWith("authorization:")) {
            authorizations.add(path + " " + l.substring(l.indexOf(':') + 1).trim());
          }
          if (l.toLowerCase(Locale.ROOT).startsWith("x-amz-date:")) {
            amzDates.add(path + " " + l.substring(l.indexOf(':') + 1).trim());
          }
        }
        Fault fault = null;
        for (Rule r : rules) {
          if (r.takes(method, path)) {
            fault = r.fault;
            break;
          }
        }
        if (fault == Fault.STATUS_500) {
          error(out, "500 Internal Server Error", "", "InternalError", "We encountered an internal error.");
          continue;
        }
        if (fault == Fault.SLOW_DOWN) {
          error(out, "503 Slow Down", "", "SlowDown", "Please reduce your request rate.");
          continue;
        }
        if (fault == Fault.SKEWED) {
          String date = java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME.format(
              java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC).plusNanos(SKEW_MILLIS * 1_000_000));
          error(out, "403 Forbidden", "Date: " + date + "\r\n", "RequestTimeTooSkewed",
              "The difference between the request time and the current time is too large.");
          continue;
        }
        if (fault == Fault.WRONG_REGION) {
          error(out, "301 Moved Permanently", "x-amz-bucket-region: " + OTHER_REGION + "\r\n", "PermanentRedirect",
              "The bucket you are attempting to access must be addressed using the specified endpoint.");
          continue;
        }
        if (fault == Fault.STALL) {
          Thread.sleep(stallMillis);
          return;
        }
        byte[] response = relay(text, body);
        int split = indexOf(response, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1)) + 4;
        String responseHead = new String(response, 0, split, StandardCharsets.ISO_8859_1);
        int status = Integer.parseInt(responseHead.split(" ")[1]);
        if (fault == Fault.RANGE_AS_WHOLE && status == 206) {
          byte[] whole = Files.readAllBytes(objectFile.apply(path.contains("?") ? path.substring(0, path.indexOf('?')) : path));
          out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " + whole.length
              + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
          out.write(whole);
          out.flush();
          return;
        }
        boolean half = fault == Fault.RESET_MID_BODY || fault == Fault.SHORT_BODY;
        boolean none = fault == Fault.RESET_BEFORE_BODY || fault == Fault.NO_BODY;
        if ((half || none) && response.length - split > 1) {
          out.write(response, 0, split + (half ? (response.length - split) / 2 : 0));
          out.flush();
          if (fault == Fault.RESET_MID_BODY || fault == Fault.RESET_BEFORE_BODY) {
            client.setSoLinger(true, 0); // close sends RST
          }
          return;
        }
        out.write(response);
        out.flush();
        if (responseHead.toLowerCase(Locale.ROOT).contains("\r\nconnection: close")) {
          return;
        }
      }
    } catch (IOException | RuntimeException e) {
      // the client went away, or a fault ended the connection
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** An S3 error response: status, extra header lines, and the XML error document. */
  private static void error(OutputStream out, String status, String headers, String code, String message)
      throws IOException {
    byte[] xml = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code + "</Code><Message>" + message
        + "</Message></Error>").getBytes(StandardCharsets.UTF_8);
    out.write(("HTTP/1.1 " + status + "\r\n" + headers + "Content-Type: application/xml\r\nContent-Length: " + xml.length
        + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
    out.write(xml);
    out.flush();
  }

  /** The request to the server (Connection: close), its whole response back. */
  private byte[] relay(String head, byte[] body) throws IOException {
    StringBuilder h = new StringBuilder();
    for (String l : head.split("\r\n")) {
      String lower = l.toLowerCase(Locale.ROOT);
      // Hop-by-hop headers are the proxy's own (RFC 9110 7.6.1); an Upgrade without its
      // "Connection: Upgrade" is a bad request to Jetty (Iceberg's HTTP client offers TLS/1.2).
      if (!l.isEmpty() && !lower.startsWith("connection:") && !lower.startsWith("upgrade:")) {
        h.append(l).append("\r\n");
      }
    }
    h.append("Connection: close\r\n\r\n");
    try (Socket up = new Socket(InetAddress.getLoopbackAddress(), upstreamPort)) {
      up.getOutputStream().write(h.toString().getBytes(StandardCharsets.ISO_8859_1));
      up.getOutputStream().write(body);
      up.getOutputStream().flush();
      return up.getInputStream().readAllBytes();
    }
  }

  private static byte[] readHead(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int c = in.read();
      if (c < 0) {
        return null;
      }
      b.write(c);
      matched = c == (matched % 2 == 0 ? '\r' : '\n') ? matched + 1 : c == '\r' ? 1 : 0;
    }
    return b.toByteArray();
  }

  private static long headerLong(String head, String name, long missing) {
    for (String l : head.split("\r\n")) {
      int colon = l.indexOf(':');
      if (colon > 0 && l.substring(0, colon).trim().equalsIgnoreCase(name)) {
        return Long.parseLong(l.substring(colon + 1).trim());
      }
    }
    return missing;
  }

  private static int indexOf(byte[] a, byte[] b) {
    outer:
    for (int i = 0; i + b.length <= a.length; i++) {
      for (int j = 0; j < b.length; j++) {
        if (a[i + j] != b[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
