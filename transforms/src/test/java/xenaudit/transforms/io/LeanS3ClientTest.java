package xenaudit.transforms.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * The lean client against a scripted HTTP server on loopback: what it sends, and how it takes the
 * answers a real server (S3ProxyServer in the pipeline tests) would rarely give: errors, retries,
 * ignored ranges, hostile heads, cut bodies. Its signatures are checked by s3proxy in those tests.
 */
class LeanS3ClientTest {
  private static final byte[] OBJECT = new byte[1000];

  static {
    for (int i = 0; i < OBJECT.length; i++) {
      OBJECT[i] = (byte) (i * 31 + 7);
    }
  }

  private ServerSocket server;
  private Thread acceptor;
  /** What the server answers, per request head it reads; null = hang up without answering. */
  private volatile Function<String, byte[]> script;
  private final BlockingQueue<String> heads = new LinkedBlockingQueue<>();
  private final AtomicInteger connections = new AtomicInteger();
  private final List<Socket> open = Collections.synchronizedList(new ArrayList<>());

  @BeforeEach
  void start() throws IOException {
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    acceptor = new Thread(() -> {
      while (!server.isClosed()) {
        try {
          Socket s = server.accept();
          connections.incrementAndGet();
          open.add(s);
          Thread t = new Thread(() -> serve(s));
          t.setDaemon(true);
          t.start();
        } catch (IOException e) {
          return;
        }
      }
    });
    acceptor.setDaemon(true);
    acceptor.start();
  }

  @AfterEach
  void stop() throws IOException {
    server.close();
    synchronized (open) {
      for (Socket s : open) {
        s.close();
      }
    }
  }

  private void serve(Socket s) {
    try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
      while (true) {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0) {
          head.write(c);
          byte[] h = head.toByteArray();
          int n = h.length;
          if (n >= 4 && h[n - 4] == '\r' && h[n - 3] == '\n' && h[n - 2] == '\r' && h[n - 1] == '\n') {
            break;
          }
        }
        if (c < 0) {
          return;
        }
        String text = head.toString(StandardCharsets.ISO_8859_1);
        heads.add(text);
        byte[] answer = script.apply(text);
        if (answer == null) {
          return;
        }
        out.write(answer);
        out.flush();
        if (hangUpAfterNext) {
          hangUpAfterNext = false;
          return;
        }
      }
    } catch (IOException e) {
      // the client hung up
    }
  }

  private LeanS3Client client() {
    return new LeanS3Client(URI.create("http://127.0.0.1:" + server.getLocalPort()), "eu-west-3", true,
        StaticCredentialsProvider.create(AwsBasicCredentials.create("AKID", "SECRET")));
  }

  /** A correct 206 for the request's Range. */
  private static byte[] partial(String head) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)range: bytes=(\\d+)-(\\d+)").matcher(head);
    if (!m.find()) {
      return response("400 Bad Request", "", new byte[0]);
    }
    int from = Integer.parseInt(m.group(1));
    int to = Math.min(OBJECT.length - 1, Integer.parseInt(m.group(2)));
    byte[] body = java.util.Arrays.copyOfRange(OBJECT, from, to + 1);
    return response("206 Partial Content", "Content-Range: bytes " + from + "-" + to + "/" + OBJECT.length + "\r\n", body);
  }

  private static byte[] response(String status, String headers, byte[] body) {
    String head = "HTTP/1.1 " + status + "\r\n" + headers + "Content-Length: " + body.length + "\r\n\r\n";
    byte[] h = head.getBytes(StandardCharsets.ISO_8859_1);
    byte[] all = java.util.Arrays.copyOf(h, h.length + body.length);
    System.arraycopy(body, 0, all, h.length, body.length);
    return all;
  }

  private static byte[] readAll(S3RangedChannel ch, int len) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(len);
    while (b.hasRemaining() && ch.read(b) >= 0) {
      // until full or the end
    }
    return java.util.Arrays.copyOf(b.array(), b.position());
  }

  @Test
  void sendsASignedBoundedGetAndReusesTheConnection() throws Exception {
    script = LeanS3ClientTest::partial;
    try (LeanS3Client c = client()) {
      S3RangedChannel ch = new S3RangedChannel(c.object("bkt", "dir/a b.xl", null), OBJECT.length, 100);
      ch.position(10);
      assertArrayEquals(java.util.Arrays.copyOfRange(OBJECT, 10, 60), readAll(ch, 50));
      ch.position(500);
      assertArrayEquals(java.util.Arrays.copyOfRange(OBJECT, 500, 1000), readAll(ch, 600));
      assertEquals(-1, ch.read(ByteBuffer.allocate(1)));
      ch.close();
      String first = heads.poll(5, TimeUnit.SECONDS);
      assertTrue(first.startsWith("GET /bkt/dir/a%20b.xl HTTP/1.1\r\n"), first);
      assertTrue(first.contains("\r\nhost: 127.0.0.1:" + server.getLocalPort() + "\r\n"), first);
      assertTrue(first.contains("\r\nrange: bytes=10-109\r\n"), first);
      assertTrue(first.contains("\r\nx-amz-content-sha256: " + SigV4.EMPTY_PAYLOAD_SHA256 + "\r\n"), first);
      assertTrue(first.matches("(?s).*\r\nauthorization: AWS4-HMAC-SHA256 Credential=AKID/\\d{8}/eu-west-3/s3/aws4_request, "
          + "SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}\r\n.*"), first);
      assertEquals(ch.requests(), heads.size() + 1);
      assertEquals(1, connections.get(), "every GET on one kept-alive connection");
    }
  }

  @Test
  void sessionTokensAndCustomerKeysAreSentAndSigned() throws Exception {
    script = LeanS3ClientTest::partial;
    LeanS3Client c = new LeanS3Client(URI.create("http://127.0.0.1:" + server.getLocalPort()), "us-east-1", true,
        StaticCredentialsProvider.create(AwsSessionCredentials.create("AKID", "SECRET", "TOKEN+/=")));
    try (c) {
      LeanS3Client.SseCustomerKey sse = LeanS3Client.SseCustomerKey.of(null, "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=", null);
      S3RangedChannel ch = new S3RangedChannel(c.object("bkt", "k", sse), OBJECT.length, 100);
      readAll(ch, 10);
      String head = heads.poll(5, TimeUnit.SECONDS);
      assertTrue(head.contains("\r\nx-amz-security-token: TOKEN+/=\r\n"), head);
      assertTrue(head.contains("\r\nx-amz-server-side-encryption-customer-algorithm: AES256\r\n"), head);
      // MD5 of the 32 ASCII bytes 0123456789abcdef0123456789abcdef, base64
      assertTrue(head.contains("\r\nx-amz-server-side-encryption-customer-key-md5: hRasmdxgYDKV3nvbahU1MA==\r\n"), head);
      assertTrue(head.contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token;"
          + "x-amz-server-side-encryption-customer-algorithm;x-amz-server-side-encryption-customer-key;"
          + "x-amz-server-side-encryption-customer-key-md5, "), head);
    }
  }

  @Test
  void anonymousCredentialsSendUnsignedRequests() throws Exception {
    script = LeanS3ClientTest::partial;
    LeanS3Client c = new LeanS3Client(URI.create("http://127.0.0.1:" + server.getLocalPort()), "us-east-1", true,
        AnonymousCredentialsProvider.create());
    try (c) {
      S3RangedChannel ch = new S3RangedChannel(c.object("public", "k", null), OBJECT.length, 100);
      assertArrayEquals(java.util.Arrays.copyOfRange(OBJECT, 0, 10), readAll(ch, 10));
      String head = heads.poll(5, TimeUnit.SECONDS);
      assertTrue(head.startsWith("GET /public/k HTTP/1.1\r\n"), head);
      assertTrue(!head.toLowerCase().contains("authorization:"), head);
    }
  }

  @Test
  void serverErrorsAreRetriedAndClientErrorsReportS3sCode() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    script = h -> calls.incrementAndGet() <= 2
        ? response("503 Slow Down", "", "<Error><Code>SlowDown</Code></Error>".getBytes(StandardCharsets.UTF_8))
        : partial(h);
    try (LeanS3Client c = client()) {
      S3RangedChannel ch = new S3RangedChannel(c.object("bkt", "k", null), OBJECT.length, 100);
      assertArrayEquals(java.util.Arrays.copyOfRange(OBJECT, 0, 20), readAll(ch, 20));
      assertEquals(3, calls.get(), "two 503s, then the answer");

      calls.set(0);
      script = h -> {
        calls.incrementAndGet();
        return response("404 Not Found", "Content-Type: application/xml\r\n",
            "<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>"
                .getBytes(StandardCharsets.UTF_8));
      };
      S3RangedChannel gone = new S3RangedChannel(c.object("bkt", "gone", null), OBJECT.length, 100);
      IOException e = assertThrows(IOException.class, () -> gone.read(ByteBuffer.allocate(4)));
      assertEquals("GET s3://bkt/gone bytes=0-99: HTTP 404 NoSuchKey: The specified key does not exist.", e.getMessage());
      assertEquals(1, calls.get(), "a 404 is not retried");

      script = h -> response("500 Internal Server Error", "", new byte[0]);
      S3RangedChannel broken = new S3RangedChannel(c.object("bkt", "k", null), OBJECT.length, 100);
      e = assertThrows(IOException.class, () -> broken.read(ByteBuffer.allocate(4)));
      assertTrue(e.getMessage().contains("HTTP 500 Internal Server Error"), e.getMessage());
    }
  }

  @Test
  void chunkedBodiesAreDecodedAndKeepTheConnection() throws Exception {
    // Jetty (s3proxy) sends error documents chunked; any server may send a range that way.
    script = h -> {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      b.writeBytes(("HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-9/" + OBJECT.length
          + "\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\n").getBytes(StandardCharsets.ISO_8859_1));
      b.write(OBJECT, 0, 3);
      b.writeBytes("\r\n7\r\n".getBytes(StandardCharsets.ISO_8859_1));
      b.write(OBJECT, 3, 7);
      b.writeBytes("\r\n0\r\nX-Trailer: t\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      return b.toByteArray();
    };
    try (LeanS3Client c = client()) {
      for (int i = 0; i < 3; i++) {
        S3RangedChannel ch = new S3RangedChannel(c.object("bkt", "k", null), OBJECT.length, 10);
        assertArrayEquals(java.util.Arrays.copyOfRange(OBJECT, 0, 10), readAll(ch, 10));
        ch.close();
      }
      assertEquals(1, connections.get(), "a chunked body read to its end leaves the connection reusable");

      script = h -> ("HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-9/1000\r\nTransfer-Encoding: chunked\r\n\r\n"
          + "zz\r\n").getBytes(StandardCharsets.ISO_8859_1);
      S3RangedChannel bad = new S3RangedChannel(c.object("bkt", "k", null), OBJECT.length, 10);
      IOException e = assertThrows(IOException.class, () -> readAll(bad, 10));
      assertTrue(e.getMessage().contains("bad HTTP chunk size: zz"), e.getMessage());
    }
  }

  @Test
  void aPooledConnectionTheServerClosedIsReplacedNotReported() throws Exception {
    script = LeanS3ClientTest::partial;
    try (LeanS3Client c = client()) {
      S3RangedChannel ch = new S3RangedChannel(c.object("bkt", "k", null), OBJECT.length, 10);
      readAll(ch, 10);
      synchronized (open) {
        for (Socket s : open) {
          s.close(); // the server's idle timeout
        }
      }
      ch.position(900);
      assertArrayEquals(java.util.Arrays.copyOfRange(OBJECT, 900, 910), readAll(ch, 10));
      assertEquals(2, connections.get());
    }
  }

  @Test
  void answersThatAreNotTheRangeAskedForAreRefused() throws Exception {
    try (LeanS3Client c = client()) {
      // A server that ignores Range sends the whole object with 200.
      script = h -> response("200 OK", "", OBJECT);
      S3RangedChannel ch = new S3RangedChannel(c.object("bkt", "k", null), OBJECT.length, 100);
      ch.position(100);
      IOException e = assertThrows(IOException.class, () -> ch.read(ByteBuffer.allocate(4)));
      assertTrue(e.getMessage().contains("does not honour ranged reads"), e.getMessage());

      script = h -> response("206 Partial Content", "Content-Range: bytes 0-99/1000\r\n", new byte[100]);
      S3RangedChannel shifted = new S3RangedChannel(c.object("bkt", "k", null), OBJECT.length, 100);
      shifted.position(300);
      e = assertThrows(IOException.class, () -> shifted.read(ByteBuffer.allocate(4)));
      assertTrue(e.getMessage().contains("Content-Range bytes 0-99/1000"), e.getMessage());

      // A head that never ends is cut at the limit, not buffered without bound.
      script = h -> ("HTTP/1.1 206 Partial Content\r\nX-Junk: " + "x".repeat(4 * HttpConnection.HEAD_LIMIT))
          .getBytes(StandardCharsets.ISO_8859_1);
      S3RangedChannel hostile = new S3RangedChannel(c.object("bkt", "k", null), OBJECT.length, 100);
      e = assertThrows(IOException.class, () -> hostile.read(ByteBuffer.allocate(4)));
      assertTrue(e.getMessage().contains("longer than " + HttpConnection.HEAD_LIMIT), e.getMessage());

      // A body cut short is asked for again from where it stopped: the bytes come out right.
      script = h -> {
        byte[] full = partial(h);
        return closeAfter(java.util.Arrays.copyOf(full, full.length - 40));
      };
      S3RangedChannel cut = new S3RangedChannel(c.object("bkt", "k", null), OBJECT.length, 100);
      assertArrayEquals(java.util.Arrays.copyOf(OBJECT, 100), readAll(cut, 100));
      assertTrue(cut.resumed() > 0, "resumed");

      // One that never brings a byte: given up after a few tries, saying where it stopped.
      script = h -> {
        byte[] full = partial(h);
        return closeAfter(java.util.Arrays.copyOf(full, full.length - (full.length - headLength(full))));
      };
      S3RangedChannel empty = new S3RangedChannel(c.object("bkt", "k", null), OBJECT.length, 100);
      e = assertThrows(IOException.class, () -> readAll(empty, 100));
      assertTrue(e.getMessage().contains("ended at 0") && e.getMessage().contains("resumed GETs"), e.getMessage());
    }
  }

  /** Bytes of a response's head, up to the blank line. */
  private static int headLength(byte[] response) {
    String r = new String(response, StandardCharsets.ISO_8859_1);
    return r.indexOf("\r\n\r\n") + 4;
  }

  /** Marks an answer after which the scripted server hangs up (see {@link #serve}). */
  private byte[] closeAfter(byte[] answer) {
    hangUpAfterNext = true;
    return answer;
  }

  private volatile boolean hangUpAfterNext;
}
