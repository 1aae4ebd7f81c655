package xenaudit.sample;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import xenaudit.format.CpuidLeaf;
import xenaudit.format.MsrEntry;

/** Byte-exact checks of the structures the writer produces (format doc §2, §3). */
class StreamWriterTest {
  private static byte[] bytes(StreamWriterAction a) throws IOException {
    ByteArrayImageSink s = new ByteArrayImageSink();
    a.run(new StreamWriter(s));
    return s.toByteArray();
  }

  @FunctionalInterface
  interface StreamWriterAction {
    void run(StreamWriter w) throws IOException;
  }

  private static byte[] hex(String h) {
    return HexFormat.of().parseHex(h.replace(" ", ""));
  }

  @Test
  void minimalLibxcStreamMatchesTheReferenceBytes() throws IOException {
    byte[] got = bytes(w -> {
      w.libxcImageHeader(3);
      w.domainHeader(StreamWriter.DOMAIN_X86_HVM, 4, 19);
      w.libxcEnd();
    });
    assertArrayEquals(hex("ffffffffffffffff 58454e46 00000003 0000 0000 00000000"
        + "02000000 0c00 0000 04000000 13000000"
        + "00000000 00000000"), got);
  }

  @Test
  void libxlHeaderIsBigEndian() throws IOException {
    assertArrayEquals(hex("4c6962786c466d74 00000002 00000002"), bytes(w -> w.libxlHeader(StreamWriter.LIBXL_OPT_LEGACY)));
  }

  @Test
  void recordsArePaddedToEightWithOverridesOnRequest() throws IOException {
    assertArrayEquals(hex("13000000 05000000 0102030405 000000"),
        bytes(w -> w.libxcRecord(0x13, new byte[] {1, 2, 3, 4, 5})));
    assertArrayEquals(hex("13000000 f0ffffff 0102030405 aabb"),
        bytes(w -> w.libxcRecord(0x13, new byte[] {1, 2, 3, 4, 5}, 0xFFFFFFF0L, new byte[] {(byte) 0xAA, (byte) 0xBB})));
  }

  @Test
  void xlHeaderAndConfig() throws IOException {
    byte[] cfg = "{}\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    byte[] got = bytes(w -> w.xlSaveHeader(cfg));
    assertEquals(48 + 4 + 3, got.length);
    assertArrayEquals(StreamWriter.XL_MAGIC, java.util.Arrays.copyOf(got, 32));
    ByteBuffer b = ByteBuffer.wrap(got).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(0x01020304, b.getInt(32));
    assertEquals(3, b.getInt(36));
    assertEquals(0, b.getInt(40));
    assertEquals(7, b.getInt(44));
    assertEquals(3, b.getInt(48));
  }

  @Test
  void msrPolicyIsIndexFlagsValue() throws IOException {
    byte[] got = bytes(w -> w.msrPolicy(List.of(new MsrEntry(0xCE, 0, 1L << 31), new MsrEntry(0x10A, 0, 1L << 62))));
    assertArrayEquals(hex("12000000 20000000"
        + "ce000000 00000000 00000080 00000000"
        + "0a010000 00000000 00000000 00000040"), got);
  }

  @Test
  void cpuidPolicyEntriesAre24Bytes() throws IOException {
    byte[] got = bytes(w -> w.cpuidPolicy(List.of(new CpuidLeaf(7, 0, 1, 2, 3, 4))));
    assertArrayEquals(hex("11000000 18000000 07000000 00000000 01000000 02000000 03000000 04000000"), got);
  }

  @Test
  void pageDataCarriesOnePagePerDataEntry() throws IOException {
    long[] entries = {
        StreamWriter.pfnEntry(0x10, StreamWriter.PAGE_NOTAB),
        StreamWriter.pfnEntry(0xA0, StreamWriter.PAGE_XTAB),
        StreamWriter.pfnEntry(0x11, StreamWriter.PAGE_L4TAB | StreamWriter.PAGE_PINNED)};
    ByteArrayImageSink s = new ByteArrayImageSink();
    StreamWriter w = new StreamWriter(s);
    w.pageData(entries);
    assertEquals(2, w.pagesWritten());
    byte[] got = s.toByteArray();
    ByteBuffer b = ByteBuffer.wrap(got).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(1, b.getInt(0));
    assertEquals(8 + 8 * 3 + 2 * 4096, b.getInt(4));
    assertEquals(3, b.getInt(8));
    assertEquals(0, b.getInt(12));
    assertEquals(0xF0000000000000A0L, b.getLong(24));
    assertEquals(0xC000000000000011L, b.getLong(32));
    assertEquals(8 + 8 + 8 * 3 + 2 * 4096, got.length);
    Mark pfns = w.marks().stream().filter(m -> m.kind().equals("page_data_pfns")).findFirst().orElseThrow();
    assertEquals(16, pfns.offset());
    assertEquals(24, pfns.length());
  }

  @Test
  void p2mFrameCountFollowsTheRestorersFormula() {
    assertEquals(1, StreamWriter.p2mFrameCount(0, 511, 8));
    assertEquals(2, StreamWriter.p2mFrameCount(0, 512, 8));
    assertEquals(1, StreamWriter.p2mFrameCount(0, 1023, 4));
    assertEquals(32, StreamWriter.p2mFrameCount(0, 16383, 8));
  }

  @Test
  void hvmContextChainStartsWithHeaderAndEndsWithEnd() {
    byte[] b = new HvmContextBuilder().header(1, 0x50657, 2_000_000).add(HvmContextBuilder.CPU, 0, 1032).end().toBytes();
    ByteBuffer c = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(1, c.getShort(0));
    assertEquals(24, c.getInt(4));
    assertEquals(0x54381286, c.getInt(8));
    assertEquals(1, c.getInt(12));
    assertEquals(2, c.getShort(32));
    assertEquals(1032, c.getInt(36));
    assertEquals(8 + 24 + 8 + 1032 + 8, b.length);
    assertEquals(0, c.getShort(b.length - 8));
  }
}
