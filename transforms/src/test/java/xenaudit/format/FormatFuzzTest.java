package xenaudit.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import xenaudit.compress.Decompression;
import xenaudit.policy.PolicyTextException;
import xenaudit.policy.TargetPolicy;

/**
 * Coverage-guided fuzzing of the format core (Jazzer). Every input is {@code [target][chunk][body]}:
 * the body is read as an image (seekable, and streamed in chunks of a size the input picks), as a
 * gzip or zstd image, as xen-cpuid policy text, as an xl JSON config, libvirt XML or xl config-file
 * text, or as CPUID leaves and MSRs for the policy decoder. Properties, for any bytes at all:
 * <ul>
 *   <li>nothing escapes: no exception, no internal-error report, no policy parse error other than
 *       {@link PolicyTextException};
 *   <li>exactly one report, with a status, having read no more bytes than there are;
 *   <li>the verdict and its error findings do not depend on whether the channel can seek or how the
 *       bytes arrive;
 *   <li>bounded work: channel reads at most one per byte plus a constant (a reader that loops on
 *       empty reads would fail here, a hang is Jazzer's timeout), and no allocation sized by an
 *       unchecked length (the fuzzing JVM has a 512 MiB heap: such an allocation would fail it).
 * </ul>
 * Seeds: {@link FuzzSeeds}, written by the build. In the default test run (regression mode) the seeds
 * are replayed; {@code JAZZER_FUZZ=1} fuzzes {@link #fuzz} for 45 s (the build's {@code fuzz-short}
 * run); {@code -Pfuzz} fuzzes {@link FormatFuzzLongTest} for 1,000,000 inputs instead.
 */
class FormatFuzzTest {
  static final int IMAGE = 0;
  static final int GZIP = 1;
  static final int ZSTD = 2;
  static final int POLICY_TEXT = 3;
  static final int XL_JSON = 4;
  static final int LIBVIRT_XML = 5;
  static final int CPU_POLICY = 6;
  /** Where the seeds go: Jazzer's inputs folder of each fuzz test, {@code <Class>Inputs/<method>}. */
  static final List<String> SEED_DIRS = List.of("FormatFuzzTestInputs/fuzz", "FormatFuzzLongTestInputs/fuzz");
  private static final ReadOptions OPTIONS = ReadOptions.DEFAULTS;

  @FuzzTest(maxDuration = "45s")
  void fuzz(byte[] input) throws IOException {
    check(input);
  }

  /**
   * The run's figures for the notes: inputs checked, and the peak of the old generation (what
   * survived collections: the live data) against the heap's maximum.
   */
  @org.junit.jupiter.api.AfterAll
  static void reportPeakHeap() throws IOException {
    long old = 0;
    for (java.lang.management.MemoryPoolMXBean p : java.lang.management.ManagementFactory.getMemoryPoolMXBeans()) {
      if (p.getType() == java.lang.management.MemoryType.HEAP && p.getName().contains("Old")) {
        old = Math.max(old, p.getPeakUsage().getUsed());
      }
    }
    String line = String.format("%s: %d inputs checked, 0 failures, old-generation peak %d MiB of a %d MiB heap%n",
        java.time.Instant.now(), INPUTS.get(), old >> 20, Runtime.getRuntime().maxMemory() >> 20);
    System.out.print(line);
    java.nio.file.Path out = java.nio.file.Path.of("target", "fuzz-reports");
    java.nio.file.Files.createDirectories(out);
    java.nio.file.Files.writeString(out.resolve("figures.txt"), line, java.nio.file.StandardOpenOption.CREATE,
        java.nio.file.StandardOpenOption.APPEND);
  }

  private static final java.util.concurrent.atomic.AtomicLong INPUTS = new java.util.concurrent.atomic.AtomicLong();

  static void check(byte[] input) throws IOException {
    INPUTS.incrementAndGet();
    if (input.length < 2) {
      return;
    }
    byte[] body = Arrays.copyOfRange(input, 2, input.length);
    int chunk = 1 + (input[1] & 0xFF) * 97;
    switch (input[0] & 7) {
      case IMAGE -> image(body, chunk);
      case GZIP -> compressed(body, Decompression.GZIP);
      case ZSTD -> compressed(body, Decompression.ZSTD);
      case POLICY_TEXT -> policyText(body);
      case XL_JSON -> xlJson(body);
      case LIBVIRT_XML -> GuestConfigParser.libvirtXml(body, body.length);
      case CPU_POLICY -> cpuPolicy(body);
      default -> GuestConfigParser.text(body, body.length);
    }
  }

  private static void image(byte[] body, int chunk) {
    CountingChannel seekableChannel = new CountingChannel(new ByteArrayChannel(body, body.length));
    ImageReport seekable = ImageReader.read("fuzz", seekableChannel, OPTIONS);
    CountingChannel chunked = new CountingChannel(new ChunkedChannel(body, chunk));
    ImageReport streamed = ImageReader.read("fuzz", ByteSource.streaming(chunked), OPTIONS);
    for (ImageReport r : List.of(seekable, streamed)) {
      assertNotNull(r.status());
      assertFalse(r.internalError(), () -> "internal error: " + r.findings());
      assertTrue(r.bytesRead() <= body.length, () -> r.bytesRead() + " bytes read of " + body.length);
    }
    for (CountingChannel c : List.of(seekableChannel, chunked)) {
      assertTrue(c.reads <= 64 + body.length, () -> c.reads + " reads for " + body.length + " bytes");
    }
    assertEquals(seekable.status(), streamed.status(), () -> "seekable " + seekable.findings()
        + "\nstreamed in chunks of " + chunk + ": " + streamed.findings());
  }

  /** As the pipeline reads a compressed object: a decompressor that cannot start makes it unreadable. */
  private static void compressed(byte[] body, Decompression d) throws IOException {
    ReadableByteChannel ch;
    try {
      ch = d.open(Channels.newChannel(new ByteArrayInputStream(body)));
    } catch (IOException e) {
      return;
    }
    try (ch) { // zstd holds native memory until closed
      ImageReport r = ImageReader.read("fuzz." + d.name().toLowerCase(java.util.Locale.ROOT), ByteSource.streaming(ch),
          OPTIONS);
      assertNotNull(r.status());
      assertFalse(r.internalError(), () -> "internal error: " + r.findings());
    }
  }

  /** xl's JSON config: parses, or fails the way the reader turns into XL_CONFIG_INVALID. */
  private static void xlJson(byte[] body) {
    try {
      GuestConfigParser.json(body, body.length);
    } catch (com.fasterxml.jackson.core.JsonProcessingException | IllegalArgumentException expected) {
      // XL_CONFIG_INVALID
    }
  }

  /**
   * The policy decoder on any leaves and MSRs (24 bytes a leaf, 16 an MSR after a count byte):
   * every feature decodes, every security rule and the migration check against itself answer.
   */
  private static void cpuPolicy(byte[] body) {
    ByteBuffer b = ByteBuffer.wrap(body).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    int leaves = b.hasRemaining() ? b.get() & 0x3F : 0;
    List<CpuidLeaf> cpuid = new java.util.ArrayList<>();
    while (cpuid.size() < leaves && b.remaining() >= 24) {
      cpuid.add(new CpuidLeaf(b.getInt(), b.getInt(), b.getInt(), b.getInt(), b.getInt(), b.getInt()));
    }
    List<MsrEntry> msr = new java.util.ArrayList<>();
    while (b.remaining() >= 16) {
      msr.add(new MsrEntry(b.getInt(), b.getInt(), b.getLong()));
    }
    xenaudit.policy.CpuPolicy p = xenaudit.policy.CpuPolicy.of(cpuid, msr);
    xenaudit.policy.GuestSecurity g = xenaudit.policy.GuestSecurity.of(p);
    for (xenaudit.policy.SecurityIssue i : xenaudit.policy.SecurityIssue.values()) {
      assertNotNull(xenaudit.policy.SecurityRules.assess(i, g).verdict());
    }
    if (!cpuid.isEmpty()) { // a guest without leaves has nothing to check (the pipeline never asks)
      assertTrue(xenaudit.policy.MigrationCheck.check(p, p).compatible(), "a policy fits itself");
    }
  }

  private static void policyText(byte[] body) {
    try {
      TargetPolicy.parse("fuzz", new String(body, StandardCharsets.UTF_8));
    } catch (PolicyTextException expected) {
      // the one way a text may fail
    }
  }

  /** Hands out at most {@code chunk} bytes per read, like a network stream or a decompressor. */
  static final class ChunkedChannel implements ReadableByteChannel {
    private final byte[] data;
    private final int chunk;
    private int pos;

    ChunkedChannel(byte[] data, int chunk) {
      this.data = data;
      this.chunk = chunk;
    }

    @Override
    public int read(ByteBuffer dst) {
      if (pos >= data.length) {
        return -1;
      }
      int n = Math.min(Math.min(chunk, dst.remaining()), data.length - pos);
      dst.put(data, pos, n);
      pos += n;
      return n;
    }

    @Override
    public boolean isOpen() {
      return true;
    }

    @Override
    public void close() {}
  }

  /** Counts read calls (the unit of work) of the channel it wraps. */
  static final class CountingChannel implements java.nio.channels.SeekableByteChannel {
    private final java.nio.channels.SeekableByteChannel seekable;
    private final ReadableByteChannel plain;
    long reads;

    CountingChannel(java.nio.channels.SeekableByteChannel c) {
      this.seekable = c;
      this.plain = c;
    }

    CountingChannel(ReadableByteChannel c) {
      this.seekable = null;
      this.plain = c;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
      reads++;
      return plain.read(dst);
    }

    @Override
    public int write(ByteBuffer src) {
      throw new UnsupportedOperationException();
    }

    @Override
    public long position() throws IOException {
      return seekable.position();
    }

    @Override
    public java.nio.channels.SeekableByteChannel position(long p) throws IOException {
      seekable.position(p);
      return this;
    }

    @Override
    public long size() throws IOException {
      return seekable.size();
    }

    @Override
    public java.nio.channels.SeekableByteChannel truncate(long size) {
      throw new UnsupportedOperationException();
    }

    @Override
    public boolean isOpen() {
      return plain.isOpen();
    }

    @Override
    public void close() throws IOException {
      plain.close();
    }
  }
}
