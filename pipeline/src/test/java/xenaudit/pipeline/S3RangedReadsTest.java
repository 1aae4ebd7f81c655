package xenaudit.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.NonWritableChannelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.beam.sdk.io.aws2.options.S3Options;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import xenaudit.sample.ManifestEntry;
import xenaudit.sample.SampleFleet;
import xenaudit.transforms.AuditTables;
import xenaudit.transforms.io.LeanS3Client;
import xenaudit.transforms.io.S3RangedChannel;
import xenaudit.transforms.io.S3RangedReads;

/**
 * The ranged-GET channel against a real S3 server (s3proxy): byte for byte what the local file holds,
 * whatever the reads and repositions; and in a real audit, a handful of connections, bounded ranges
 * only, one GET per skipped page batch and a tiny fraction of the object on the wire.
 */
class S3RangedReadsTest {
  private static final Pattern BOUNDED = Pattern.compile("bytes=(\\d+)-(\\d+)");

  @TempDir static Path work;
  static S3ProxyServer s3;
  /** Between the clients and s3proxy, counting TCP connections. */
  static CountingTcpProxy relay;
  static Path bucket;
  static Path random;

  @BeforeAll
  static void start() throws Exception {
    s3 = S3ProxyServer.start(work.resolve("s3"));
    relay = new CountingTcpProxy(s3.port());
    bucket = s3.bucket("objects");
    random = bucket.resolve("random.bin");
    byte[] b = new byte[(3 << 20) + 12345];
    new Random(42).nextBytes(b);
    Files.write(random, b);
    Files.write(bucket.resolve("empty.bin"), new byte[0]);
    Files.write(bucket.resolve("one.bin"), new byte[] {7});
  }

  @AfterAll
  static void stop() throws IOException {
    if (relay != null) {
      relay.close();
    }
    if (s3 != null) {
      s3.close();
    }
  }

  @BeforeEach
  void reset() {
    Counting.reset();
    relay.reset();
  }

  /** Counts GETs and the bytes they ask for, and checks every GET's Range is bounded. */
  public static final class Counting implements ExecutionInterceptor {
    static final AtomicLong GETS = new AtomicLong();
    static final AtomicLong UNBOUNDED = new AtomicLong();
    static final AtomicLong RANGED_BYTES = new AtomicLong();

    static void reset() {
      GETS.set(0);
      UNBOUNDED.set(0);
      RANGED_BYTES.set(0);
    }

    @Override
    public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
      if (!"GetObject".equals(attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME))) {
        return;
      }
      GETS.incrementAndGet();
      SdkHttpRequest r = context.httpRequest();
      Matcher m = BOUNDED.matcher(r.firstMatchingHeader("Range").orElse(""));
      if (m.matches()) {
        RANGED_BYTES.addAndGet(Long.parseLong(m.group(2)) - Long.parseLong(m.group(1)) + 1);
      } else {
        UNBOUNDED.incrementAndGet();
      }
    }
  }

  /** The pipeline's own factory (path style, header fix) plus {@link Counting}. */
  public static final class CountingFactory extends PathStyleS3ClientBuilderFactory {
    @Override
    public S3ClientBuilder createBuilder(S3Options options) {
      return super.createBuilder(options).overrideConfiguration(c -> c.addExecutionInterceptor(new Counting()));
    }
  }

  /** The two ways GETs are sent: through the SDK's client, and through xenaudit's lean one. */
  enum Client {
    SDK,
    LEAN;

    S3RangedReads reads(int readAhead) {
      return this == SDK ? new S3RangedReads(client(), null, readAhead) : new S3RangedReads(lean(S3ProxyServer.SECRET_KEY), null, readAhead);
    }
  }

  static LeanS3Client lean(String secret) {
    return new LeanS3Client(URI.create(relay.endpoint()), "us-east-1", true,
        StaticCredentialsProvider.create(AwsBasicCredentials.create(S3ProxyServer.ACCESS_KEY, secret)));
  }

  private static S3Client client() {
    return S3Client.builder()
        .endpointOverride(URI.create(relay.endpoint()))
        .region(Region.US_EAST_1)
        .forcePathStyle(true)
        .credentialsProvider(StaticCredentialsProvider.create(
            AwsBasicCredentials.create(S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY)))
        .overrideConfiguration(c -> c.addExecutionInterceptor(new Counting())
            .addExecutionInterceptor(new PathStyleS3ClientBuilderFactory.DropFalseBucketKeyHeader()))
        .build();
  }

  @ParameterizedTest
  @EnumSource(Client.class)
  void randomReadsAndRepositionsReturnTheLocalBytes(Client via) throws Exception {
    long size = Files.size(random);
    long aborted = 0;
    long gets = 0;
    try (FileChannel local = FileChannel.open(random)) {
      for (int readAhead : new int[] {1, 4096, S3RangedReads.DEFAULT_READ_AHEAD, 1 << 20}) {
        S3RangedReads reads = via.reads(readAhead);
        Random r = new Random(readAhead);
        local.position(0);
        try (S3RangedChannel ch = reads.open("s3://objects/random.bin", size)) {
          assertEquals(size, ch.size());
          for (int op = 0; op < 200; op++) {
            int kind = r.nextInt(10);
            if (kind < 3) {
              // reposition anywhere, including at and past the end
              long p = r.nextInt(8) == 0 ? size + r.nextInt(3) - 1 : (long) (r.nextDouble() * size);
              ch.position(p);
              local.position(p);
            } else if (kind < 5) {
              // short forward skip, inside or just past the open response
              long p = Math.min(size + 5, ch.position() + r.nextInt(3 * readAhead + 2));
              ch.position(p);
              local.position(p);
            }
            int len = r.nextInt(6) == 0 ? 0 : r.nextInt(r.nextBoolean() ? 100 : 100_000);
            ByteBuffer a = r.nextBoolean() ? ByteBuffer.allocate(len) : ByteBuffer.allocateDirect(len);
            ByteBuffer b = ByteBuffer.allocate(len);
            int na = ch.read(a);
            int nb = readFully(local, b);
            assertEquals(nb, na, "read " + len + " at op " + op + ", readAhead " + readAhead);
            assertArrayEquals(bytes(b), bytes(a), "bytes at op " + op);
            assertEquals(local.position(), ch.position());
          }
          ch.position(size);
          assertEquals(-1, ch.read(ByteBuffer.allocate(10)));
          assertEquals(0, ch.read(ByteBuffer.allocate(0)), "a zero-length read is 0, even at the end");
          ch.position(size + 1000);
          assertEquals(-1, ch.read(ByteBuffer.allocate(10)));
          assertEquals(size + 1000, ch.position());
          assertThrows(IllegalArgumentException.class, () -> ch.position(-1));
          assertThrows(NonWritableChannelException.class, () -> ch.write(ByteBuffer.allocate(1)));
          aborted += ch.aborted();
          gets += ch.requests();
        }
        reads.close();
      }
      if (via == Client.SDK) {
        assertEquals(0, Counting.UNBOUNDED.get(), "every GET has a bounded range");
        assertEquals(gets, Counting.GETS.get(), "the channel counts every GET the client sends");
      }
      assertTrue(gets > 300, "the test made many GETs: " + gets);
      // Responses are read to their end (or drained), so connections are reused, not re-opened; only a
      // response left with more than DRAIN_LIMIT unread is aborted, and costs its connection.
      assertTrue(relay.connections() <= 8 + aborted, relay.connections() + " connections for "
          + gets + " GETs, " + aborted + " aborted");
    }
  }

  @ParameterizedTest
  @EnumSource(Client.class)
  void sequentialReadsGrowTheWindowAndClosedChannelsRefuse(Client via) throws Exception {
    long size = Files.size(random);
    byte[] expected = Files.readAllBytes(random);
    try (S3RangedReads reads = via.reads(4096)) {
      S3RangedChannel ch = reads.open("s3://objects/random.bin", size);
      ByteBuffer all = ByteBuffer.allocate((int) size);
      while (all.hasRemaining() && ch.read(all) >= 0) {
        // whole object in reads of up to the buffer
      }
      assertArrayEquals(expected, all.array());
      assertTrue(ch.requests() <= 12, "doubling windows: " + ch.requests() + " GETs for " + size + " bytes");
      assertEquals(size, ch.bytesFetched());
      ch.close();
      assertFalse(ch.isOpen());
      assertThrows(ClosedChannelException.class, () -> ch.read(ByteBuffer.allocate(1)));
      assertThrows(ClosedChannelException.class, ch::position);
      assertThrows(ClosedChannelException.class, ch::size);

      try (S3RangedChannel empty = reads.open("s3://objects/empty.bin", 0)) {
        assertEquals(-1, empty.read(ByteBuffer.allocate(4)));
        assertEquals(0, empty.requests(), "nothing to fetch from an empty object");
      }
      try (S3RangedChannel one = reads.open("s3://objects/one.bin", 1)) {
        ByteBuffer b = ByteBuffer.allocate(4);
        assertEquals(1, one.read(b));
        assertEquals(7, b.get(0));
        assertEquals(-1, one.read(b));
      }
      // A vanished object is an IOException (a READ_ERROR finding in the audit), not a crash.
      try (S3RangedChannel gone = reads.open("s3://objects/no-such.bin", 100)) {
        IOException e = assertThrows(IOException.class, () -> gone.read(ByteBuffer.allocate(4)));
        if (via == Client.LEAN) {
          assertTrue(e.getMessage().startsWith("GET s3://objects/no-such.bin bytes=0-99: HTTP 404 NoSuchKey"), e.getMessage());
        }
      }
      // Keys are sent percent-encoded, and signed that way: the server must agree on both.
      Path odd = bucket.resolve("dir with space/ü+%=&;.bin");
      Files.createDirectories(odd.getParent());
      Files.write(odd, new byte[] {1, 2, 3, 4, 5});
      try (S3RangedChannel oddChannel = reads.open("s3://objects/dir with space/ü+%=&;.bin", 5)) {
        ByteBuffer b = ByteBuffer.allocate(5);
        assertEquals(5, oddChannel.read(b));
        assertArrayEquals(new byte[] {1, 2, 3, 4, 5}, b.array());
      }
    }
  }

  /** s3proxy checks every signature: a wrong secret is refused, and said so with S3's own code. */
  @Test
  void leanGetsWithAWrongSecretAreRefusedWithS3sErrorCode() throws Exception {
    try (S3RangedReads reads = new S3RangedReads(lean("not-the-secret"), null, 4096);
        S3RangedChannel ch = reads.open("s3://objects/random.bin", Files.size(random))) {
      IOException e = assertThrows(IOException.class, () -> ch.read(ByteBuffer.allocate(4)));
      assertTrue(e.getMessage().startsWith("GET s3://objects/random.bin bytes=0-4095: HTTP 403 "), e.getMessage());
      assertTrue(e.getMessage().contains("SignatureDoesNotMatch"), e.getMessage());
    }
  }

  /** Credentials the server refuses stop the job before it starts, with the server's reason in one line. */
  @Test
  void aListingTheServerRefusesIsAOneLineError() {
    List<String> args = new ArrayList<>();
    for (String a : relayedArgs()) {
      args.add(a.replace(S3ProxyServer.SECRET_KEY, "not-the-secret"));
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AuditPipeline.runAndWait(
        AuditPipelineTest.options("s3://objects/*.bin", work.resolve("out-refused").toString(), args)));
    assertTrue(e.getMessage().startsWith("--input s3://objects/*.bin cannot be listed: "), e.getMessage());
    assertTrue(e.getMessage().contains("403"), e.getMessage());
  }

  /** The default: the lean client, as few connections, as few GETs, the same bytes read. */
  @Test
  void aDefaultAuditOverS3UsesTheLeanClientWithOneGetPerPageBatch() throws Exception {
    String file = stageImage("lean", 6);
    List<String> args = relayedArgs();
    AuditSummary lean = AuditPipeline.runAndWait(
        AuditPipelineTest.options("s3://lean/" + file, work.resolve("out-lean").toString(), args));
    long connections = relay.connections();
    assertEquals(1, lean.valid());
    long pages;
    try (DuckDbTables db = new DuckDbTables(work.resolve("out-lean"))) {
      pages = (Long) db.rows(AuditTables.STREAMS, "").get(0).get("page_count");
    }
    long batches = (pages + 1023) / 1024;
    assertTrue(lean.s3Requests() >= batches - 2 && lean.s3Requests() <= batches + 8, lean.s3Requests() + " GETs, " + batches + " batches");
    assertTrue(connections <= 6, connections + " connections for " + lean.s3Requests() + " GETs");

    // The same audit through the SDK's client reads the same bytes and finds the same.
    args.add("--s3LeanGets=false");
    args.add("--s3ClientFactoryClass=" + CountingFactory.class.getName());
    AuditSummary sdk = AuditPipeline.runAndWait(
        AuditPipelineTest.options("s3://lean/" + file, work.resolve("out-sdk").toString(), args));
    assertEquals(lean.s3Requests(), Counting.GETS.get(), "the SDK path made as many GETs");
    assertEquals(lean.bytesRead(), sdk.bytesRead());
    assertEquals(lean.s3BytesFetched(), sdk.s3BytesFetched());
    try (DuckDbTables a = new DuckDbTables(work.resolve("out-lean")); DuckDbTables b = new DuckDbTables(work.resolve("out-sdk"))) {
      // Every row alike but the run id: rows in a stable order, compared whole.
      assertEquals(a.rows(AuditTables.CPUID_POLICY, "ORDER BY leaf, subleaf"), b.rows(AuditTables.CPUID_POLICY, "ORDER BY leaf, subleaf"));
      assertEquals(a.rows(AuditTables.MSR_POLICY, "ORDER BY msr_index"), b.rows(AuditTables.MSR_POLICY, "ORDER BY msr_index"));
      assertEquals(a.rows(AuditTables.FINDINGS, "ORDER BY byte_offset, code"), b.rows(AuditTables.FINDINGS, "ORDER BY byte_offset, code"));
      Map<String, Object> sa = a.rows(AuditTables.STREAMS, "").get(0);
      Map<String, Object> sb = b.rows(AuditTables.STREAMS, "").get(0);
      sa.remove("audit_run_id");
      sb.remove("audit_run_id");
      assertEquals(sa, sb);
      assertTrue(!a.rows(AuditTables.CPUID_POLICY, "").isEmpty(), "the image has a CPUID policy to compare");
    }
  }

  @Test
  void anAuditOverS3MakesOneBoundedGetPerPageBatchOnAFewConnections() throws Exception {
    String file = stageImage("big", 5);
    long size = Files.size(s3.bucket("big").resolve(file));
    List<String> args = relayedArgs();
    args.add("--s3ClientFactoryClass=" + CountingFactory.class.getName());

    AuditSummary ranged = AuditPipeline.runAndWait(
        AuditPipelineTest.options("s3://big/" + file, work.resolve("out-ranged").toString(), args));
    long gets = Counting.GETS.get();
    long connections = relay.connections();
    assertEquals(1, ranged.valid());
    assertEquals(0, Counting.UNBOUNDED.get(), "no open-ended GET in the default mode");
    assertEquals(ranged.s3Requests(), gets, "the job's counter and the client agree");
    long records;
    long pages;
    try (DuckDbTables db = new DuckDbTables(work.resolve("out-ranged"))) {
      Map<String, Object> row = db.rows(AuditTables.STREAMS, "").get(0);
      records = (Long) row.get("record_count");
      pages = (Long) row.get("page_count");
    }
    long batches = (pages + 1023) / 1024;
    // One GET per skipped page batch (payload is 4 MiB, far above the 1 MiB threshold), plus a few
    // for the headers at the start; never one per read.
    assertTrue(gets >= batches - 2 && gets <= batches + 8, gets + " GETs, " + batches + " page batches, " + records + " records");
    assertTrue(ranged.s3BytesFetched() < size / 100, ranged.s3BytesFetched() + " bytes fetched of " + size);
    assertTrue(Counting.RANGED_BYTES.get() < size / 100, "bytes asked for: " + Counting.RANGED_BYTES.get());
    assertTrue(connections <= 6, connections + " connections for " + gets + " GETs");

    // Beam's channel, for contrast: as many GETs, but open-ended, and a new connection for each.
    Counting.reset();
    List<String> beam = new ArrayList<>(args);
    beam.add("--s3RangedReads=false");
    AuditSummary viaBeam = AuditPipeline.runAndWait(
        AuditPipelineTest.options("s3://big/" + file, work.resolve("out-beam").toString(), beam));
    assertEquals(1, viaBeam.valid());
    assertEquals(0, viaBeam.s3Requests());
    assertTrue(Counting.UNBOUNDED.get() > 0, "Beam's channel asks for open-ended ranges");
    assertTrue(relay.connections() > batches / 2,
        relay.connections() + " connections through Beam's channel for " + batches + " page batches");
    assertEquals(ranged.bytesRead(), viaBeam.bytesRead(), "the format core read the same bytes either way");
  }

  /** A 256 MiB sample image, generated and moved into {@code bucket}; returns its key. */
  private static String stageImage(String bucket, long seed) throws IOException {
    Path fleet = work.resolve("fleet-" + bucket);
    List<ManifestEntry> one = SampleFleet.generate(
        SampleFleet.Options.defaults(fleet).withGuests(1).withSeed(seed).withMemory(256L << 20));
    String file = one.get(0).file();
    Files.move(fleet.resolve(file), s3.bucket(bucket).resolve(file));
    return file;
  }

  /** The job's S3 options, pointed at the counting relay instead of s3proxy itself. */
  private static List<String> relayedArgs() {
    List<String> args = new ArrayList<>();
    for (String a : s3.beamArgs()) {
      args.add(a.startsWith("--endpoint=") ? "--endpoint=" + relay.endpoint() : a);
    }
    return args;
  }

  private static int readFully(FileChannel ch, ByteBuffer b) throws IOException {
    if (!b.hasRemaining()) {
      return 0;
    }
    int total = 0;
    while (b.hasRemaining()) {
      int n = ch.read(b);
      if (n < 0) {
        return total == 0 ? -1 : total;
      }
      total += n;
    }
    return total;
  }

  private static byte[] bytes(ByteBuffer b) {
    ByteBuffer d = b.duplicate().flip();
    byte[] out = new byte[d.remaining()];
    d.get(out);
    return out;
  }
}
