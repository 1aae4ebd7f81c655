package xenaudit.transforms.io;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import javax.net.ssl.SSLSocketFactory;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Deque;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;

/**
 * Ranged S3 GETs over xenaudit's own HTTP/1.1 connections, signed with SigV4 ({@link SigV4}).
 *
 * <p>An audit makes one small GET per skipped page batch, so the cost per request is what counts.
 * Through the AWS SDK a GET costs about 1 ms of CPU (interceptor chain, marshalling, Apache client),
 * and its nine headers cost the server a good share of its own CPU to parse; here a request is one
 * write of a six-header head and one parse of the response head. Everything a GET of the audit
 * needs is supported: path- and virtual-host-style addressing, http and https (the JDK's TLS, host
 * name checked), session tokens, anonymous access (unsigned, for public buckets), SSE-C keys,
 * keep-alive with a pool per host, a retry on a pooled connection the server had closed, and up to
 * {@link #ATTEMPTS} attempts on 5xx/429 answers and connection failures. Proxies, custom client factories and anything else configured on the SDK's
 * client are not: {@code --s3LeanGets=false} sends the GETs through the SDK instead. Thread-safe.
 */
public final class LeanS3Client implements AutoCloseable {
  static final int ATTEMPTS = 3;
  private static final int MAX_IDLE_PER_HOST = 64;
  static final int CONNECT_TIMEOUT_MILLIS = 10_000;
  static final int READ_TIMEOUT_MILLIS = 60_000;
  private static final int ERROR_BODY_LIMIT = 8 * 1024;
  private static final Pattern XML_CODE = Pattern.compile("<Code>([^<]{0,200})</Code>");
  private static final Pattern XML_MESSAGE = Pattern.compile("<Message>([^<]{0,500})</Message>");

  private final boolean tls;
  /** Makes the TLS sockets: the JDK's default (its trust store, {@code javax.net.ssl.trustStore}) unless given. */
  private final SSLSocketFactory tlsSockets;
  private final String host;
  /** Whether the endpoint is AWS's regional one (so a bucket in another region means another host). */
  private final boolean awsEndpoint;
  /** Regions S3 said buckets are in (a 301 redirect's x-amz-bucket-region), for later objects. */
  private final Map<String, String> bucketRegions = new ConcurrentHashMap<>();
  private final int port;
  private final boolean pathStyle;
  private final String region;
  private final AwsCredentialsProvider credentials;
  /** Server clock minus ours, learnt from a RequestTimeTooSkewed answer; added to the signing time. */
  private volatile long clockOffsetMillis;
  private volatile int connectTimeoutMillis = CONNECT_TIMEOUT_MILLIS;
  private volatile int readTimeoutMillis = READ_TIMEOUT_MILLIS;
  private final Map<String, Deque<HttpConnection>> idle = new ConcurrentHashMap<>();
  private volatile boolean closed;

  /**
   * @param endpoint {@code http(s)://host[:port]} of an S3-compatible server, or null for AWS's
   *     regional endpoint ({@code https://s3.REGION.amazonaws.com})
   * @param pathStyle address buckets as {@code /bucket/key} rather than as {@code bucket.host};
   *     implied for an IP-literal endpoint and for bucket names that are not DNS labels
   */
  public LeanS3Client(URI endpoint, String region, boolean pathStyle, AwsCredentialsProvider credentials) {
    this(endpoint, region, pathStyle, credentials, null);
  }

  /**
   * With the TLS sockets of an {@link javax.net.ssl.SSLContext} of your own (a private CA's trust
   * store, say); null for the JDK's default. Certificates are always verified, and must name the host.
   */
  public LeanS3Client(URI endpoint, String region, boolean pathStyle, AwsCredentialsProvider credentials,
      SSLSocketFactory tlsSockets) {
    if (region == null || region.isEmpty()) {
      throw new IllegalArgumentException("no AWS region (set --awsRegion)");
    }
    this.awsEndpoint = endpoint == null;
    if (endpoint == null) {
      endpoint = URI.create("https://s3." + region + ".amazonaws.com");
    }
    String scheme = endpoint.getScheme() == null ? "" : endpoint.getScheme().toLowerCase();
    if (!scheme.equals("http") && !scheme.equals("https") || endpoint.getHost() == null) {
      throw new IllegalArgumentException("S3 endpoint must be http(s)://host[:port], got " + endpoint);
    }
    this.tls = scheme.equals("https");
    this.tlsSockets = tlsSockets != null ? tlsSockets : (SSLSocketFactory) SSLSocketFactory.getDefault();
    this.host = endpoint.getHost();
    this.port = endpoint.getPort() != -1 ? endpoint.getPort() : tls ? 443 : 80;
    this.pathStyle = pathStyle || isIpLiteral(host);
    this.region = region;
    this.credentials = credentials;
  }

  /**
   * Timeouts of new connections: to connect, and to wait for each read (a stalled server); null
   * keeps the default (10 s, 60 s). Set from Beam's {@code --httpClientConfiguration}.
   */
  public LeanS3Client withTimeouts(Integer connectMillis, Integer readMillis) {
    if (connectMillis != null) {
      this.connectTimeoutMillis = connectMillis;
    }
    if (readMillis != null) {
      this.readTimeoutMillis = readMillis;
    }
    return this;
  }

  /** Signing time offset now in use, in milliseconds (0 until a server said our clock is off). */
  public long clockOffsetMillis() {
    return clockOffsetMillis;
  }

  /** Takes the server's clock from its Date header (RFC 1123); false when it does not parse. */
  private boolean adjustClock(String serverDate) {
    try {
      long server = java.time.ZonedDateTime.parse(serverDate, java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME)
          .toInstant().toEpochMilli();
      clockOffsetMillis = server - System.currentTimeMillis();
      return true;
    } catch (java.time.format.DateTimeParseException e) {
      return false;
    }
  }

  /** A source of ranged GETs of {@code bucket/key}; one per channel (it is not thread-safe). */
  public RangeSource object(String bucket, String key, SseCustomerKey sse) {
    return new LeanObject(bucket, key, sse);
  }

  /** SSE-C parameters sent with every GET of an object encrypted with a customer key. */
  public record SseCustomerKey(String algorithm, String base64Key, String base64KeyMd5) {
    /** Completes a missing MD5 from the key. */
    public static SseCustomerKey of(String algorithm, String base64Key, String base64KeyMd5) {
      if (base64KeyMd5 == null) {
        try {
          byte[] md5 = MessageDigest.getInstance("MD5").digest(Base64.getDecoder().decode(base64Key));
          base64KeyMd5 = Base64.getEncoder().encodeToString(md5);
        } catch (NoSuchAlgorithmException e) {
          throw new IllegalStateException(e);
        }
      }
      return new SseCustomerKey(algorithm == null ? "AES256" : algorithm, base64Key, base64KeyMd5);
    }
  }

  private HttpConnection borrow(String virtualHost) throws IOException {
    if (closed) {
      throw new IOException("S3 client closed");
    }
    Deque<HttpConnection> pool = idle.get(virtualHost);
    HttpConnection c = pool == null ? null : pool.pollFirst();
    if (c != null) {
      return c;
    }
    String address = virtualHost.startsWith("[") ? virtualHost.substring(1, virtualHost.length() - 1) : virtualHost;
    return HttpConnection.open(address, port, tls ? tlsSockets : null, connectTimeoutMillis, readTimeoutMillis);
  }

  private void giveBack(String virtualHost, HttpConnection c) {
    if (closed || !c.reusable()) {
      c.close();
      return;
    }
    Deque<HttpConnection> pool = idle.computeIfAbsent(virtualHost, h -> new ConcurrentLinkedDeque<>());
    if (pool.size() >= MAX_IDLE_PER_HOST) {
      c.close();
    } else {
      pool.offerFirst(c);
    }
  }

  @Override
  public void close() {
    closed = true;
    for (Deque<HttpConnection> pool : idle.values()) {
      HttpConnection c;
      while ((c = pool.pollFirst()) != null) {
        c.close();
      }
    }
  }

  private static boolean isIpLiteral(String host) {
    return host.startsWith("[") || host.matches("\\d{1,3}(\\.\\d{1,3}){3}");
  }

  /** Whether a bucket name can be a host name label sequence (virtual-host style over TLS needs no dots). */
  private boolean dnsCompatible(String bucket) {
    return bucket.matches("[a-z0-9][a-z0-9-]{1,61}[a-z0-9]") || !tls && bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
  }

  /** Ranged GETs of one object. Not thread-safe. */
  private final class LeanObject implements RangeSource {
    private final String bucket;
    private final String key;
    private final SseCustomerKey sse;
    private String virtualHost;
    private String hostHeader;
    private String path;
    private SigV4 signer;

    LeanObject(String bucket, String key, SseCustomerKey sse) {
      this.bucket = bucket;
      this.key = key;
      this.sse = sse;
      locate(bucketRegions.getOrDefault(bucket, region));
    }

    /** Host, path and signing region for the bucket's region. */
    private void locate(String bucketRegion) {
      String h = awsEndpoint ? "s3." + bucketRegion + ".amazonaws.com" : host;
      boolean style = pathStyle || !dnsCompatible(bucket);
      this.virtualHost = style ? h : bucket + "." + h;
      boolean defaultPort = port == (tls ? 443 : 80);
      this.hostHeader = defaultPort ? virtualHost : virtualHost + ":" + port; // IPv6 literals come bracketed
      this.path = SigV4.encodePath(style ? "/" + bucket + "/" + key : "/" + key);
      this.signer = new SigV4(bucketRegion);
    }

    @Override
    public String describe() {
      return "s3://" + bucket + "/" + key;
    }

    @Override
    public Body get(long from, long end) throws IOException {
      String range = "bytes=" + from + "-" + (end - 1);
      boolean staleRetried = false;
      for (int attempt = 1; ; attempt++) {
        HttpConnection c;
        try {
          c = borrow(virtualHost);
        } catch (IOException e) {
          if (attempt < ATTEMPTS) {
            backOff(attempt);
            continue;
          }
          throw new IOException("GET " + describe() + " " + range + ": cannot connect to " + hostHeader + ": " + e, e);
        }
        try {
          c.exchange(head(range));
        } catch (IOException e) {
          c.close();
          if (c.requests() > 1 && !staleRetried) {
            staleRetried = true; // the server had closed this pooled connection: not a failure
            attempt--;
            continue;
          }
          if (attempt < ATTEMPTS) {
            backOff(attempt);
            continue;
          }
          throw new IOException("GET " + describe() + " " + range + ": " + e.getMessage(), e);
        }
        int status = c.status();
        if (status == 206 || status == 200) {
          if (!RangeCheck.matches(c.contentRange(), c.contentLength(), from, end)) {
            c.close();
            throw RangeCheck.refused(describe(), from, end, c.contentRange(), c.contentLength());
          }
          return new LeanBody(c);
        }
        String serverDate = c.date();
        String bucketRegion = c.bucketRegion();
        String error = errorOf(c);
        giveBack(virtualHost, c);
        if (status == 403 && error.startsWith("RequestTimeTooSkewed") && serverDate != null && attempt < ATTEMPTS
            && adjustClock(serverDate)) {
          continue; // signed again with the server's time, as the SDK does
        }
        if ((status == 301 || status == 400) && bucketRegion != null && !bucketRegion.isEmpty()
            && !bucketRegion.equals(signer.region()) && attempt < ATTEMPTS) {
          // The bucket lives in another region: sign for it (and on AWS, go to its endpoint).
          bucketRegions.put(bucket, bucketRegion);
          locate(bucketRegion);
          continue;
        }
        if ((status >= 500 || status == 429) && attempt < ATTEMPTS) {
          backOff(attempt);
          continue;
        }
        throw new IOException("GET " + describe() + " " + range + ": HTTP " + status + " " + error);
      }
    }

    /** The request head: Host, Range, x-amz-* and Authorization; SigV4 signs host and every x-amz-* header. */
    private byte[] head(String range) {
      AwsCredentials creds = credentials.resolveCredentials();
      String amzDate = SigV4.amzDate((System.currentTimeMillis() + clockOffsetMillis) / 1000);
      TreeMap<String, String> signed = new TreeMap<>();
      signed.put("host", hostHeader);
      signed.put("x-amz-content-sha256", SigV4.EMPTY_PAYLOAD_SHA256);
      signed.put("x-amz-date", amzDate);
      if (creds instanceof AwsSessionCredentials session) {
        signed.put("x-amz-security-token", session.sessionToken());
      }
      if (sse != null) {
        signed.put("x-amz-server-side-encryption-customer-algorithm", sse.algorithm());
        signed.put("x-amz-server-side-encryption-customer-key", sse.base64Key());
        signed.put("x-amz-server-side-encryption-customer-key-md5", sse.base64KeyMd5());
      }
      StringBuilder canonical = new StringBuilder(256);
      StringBuilder names = new StringBuilder(96);
      StringBuilder head = new StringBuilder(512);
      head.append("GET ").append(path).append(" HTTP/1.1\r\n");
      for (Map.Entry<String, String> h : signed.entrySet()) {
        canonical.append(h.getKey()).append(':').append(h.getValue()).append('\n');
        names.append(names.length() == 0 ? "" : ";").append(h.getKey());
        head.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
      }
      head.append("range: ").append(range).append("\r\n");
      head.append("user-agent: xenaudit\r\n");
      if (creds.accessKeyId() != null) {
        head.append("authorization: ").append(signer.authorization(creds.accessKeyId(), creds.secretAccessKey(), amzDate,
            "GET", path, canonical.toString(), names.toString())).append("\r\n");
      } // else anonymous credentials (a public bucket): sent unsigned, as the SDK does
      return head.append("\r\n").toString().getBytes(StandardCharsets.UTF_8);
    }

    /** {@code Code: Message} of an S3 error document, else the status line's reason. */
    private String errorOf(HttpConnection c) {
      String body;
      try {
        body = c.readSmallBody(ERROR_BODY_LIMIT);
      } catch (IOException e) {
        c.close();
        return c.reason();
      }
      if (!c.bodyDone()) {
        c.close();
      }
      Matcher code = XML_CODE.matcher(body);
      Matcher message = XML_MESSAGE.matcher(body);
      String m = (code.find() ? code.group(1) : c.reason()) + (message.find() ? ": " + message.group(1) : "");
      return m.replaceAll("[^\\x20-\\x7e]", "?");
    }

    private final class LeanBody implements Body {
      private final HttpConnection c;
      private boolean done;

      LeanBody(HttpConnection c) {
        this.c = c;
      }

      @Override
      public int read(byte[] into, int off, int len) throws IOException {
        return c.readBody(into, off, len);
      }

      @Override
      public void release() {
        if (!done) {
          done = true;
          try {
            c.finishFraming();
          } catch (IOException e) {
            c.close();
          }
          giveBack(virtualHost, c);
        }
      }

      @Override
      public void abort() {
        done = true;
        c.close();
      }
    }
  }

  private static void backOff(int attempt) throws InterruptedIOException {
    try {
      Thread.sleep(100L << (attempt - 1));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while retrying an S3 GET");
    }
  }
}
