package xenaudit.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import xenaudit.format.CpuidLeaf;
import xenaudit.policy.PolicyText.NamedPolicy;
import xenaudit.sample.CpuidProfiles;
import xenaudit.sample.CpuidProfiles.Model;
import xenaudit.sample.CpuidProfiles.Variation;

class PolicyTextTest {
  /**
   * A host dump as {@code xen-cpuid -p} prints it, trimmed to a few leaves a block: headings with
   * their trailing padding, header counts that include the all-zero leaves it does not print.
   */
  static final String HOST_DUMP = """
      Xen reports there are maximum 120 leaves and 2 MSRs
      Raw policy: 113 leaves, 2 MSRs
       CPUID:
        leaf     subleaf  -> eax      ebx      ecx      edx     \s
        00000000:ffffffff -> 00000016:756e6547:6c65746e:49656e69
        00000001:ffffffff -> 00050657:00400800:7ffefbff:bfebfbff
        00000007:00000000 -> 00000000:d39ffffb:00000818:bc000400
        80000000:ffffffff -> 80000008:00000000:00000000:00000000
        80000001:ffffffff -> 00000000:00000000:00000121:2c100800
       MSRs:
        index    -> value          \s
        000000ce -> 0000000080000000
        0000010a -> 000000000a0000eb
      Host policy: 113 leaves, 2 MSRs
       CPUID:
        leaf     subleaf  -> eax      ebx      ecx      edx     \s
        00000000:ffffffff -> 0000000d:756e6547:6c65746e:49656e69
        00000001:ffffffff -> 00050657:00400800:77fefbff:bfebfbff
        00000007:00000000 -> 00000000:d19ffffb:00000818:bc000400
        80000000:ffffffff -> 80000008:00000000:00000000:00000000
        80000001:ffffffff -> 00000000:00000000:00000121:2c100800
       MSRs:
        index    -> value          \s
        000000ce -> 0000000080000000
        0000010a -> 00000000000000eb
      PV Max policy: 113 leaves, 2 MSRs
       CPUID:
        leaf     subleaf  -> eax      ebx      ecx      edx     \s
        00000000:ffffffff -> 0000000d:756e6547:6c65746e:49656e69
        00000001:ffffffff -> 00050657:00000800:f6d83203:1789cbf5
        00000007:00000000 -> 00000000:d19d4ffb:00000808:bc000400
        80000000:ffffffff -> 80000008:00000000:00000000:00000000
        80000001:ffffffff -> 00000000:00000000:00000121:2c100800
       MSRs:
        index    -> value          \s
        000000ce -> 0000000080000000
        0000010a -> 00000000000000eb
      HVM Max policy: 113 leaves, 2 MSRs
       CPUID:
        leaf     subleaf  -> eax      ebx      ecx      edx     \s
        00000000:ffffffff -> 0000000d:756e6547:6c65746e:49656e69
        00000001:ffffffff -> 00050657:00000800:f7fa3223:1fabfbff
        00000007:00000000 -> 00000000:d19f4ffb:00000808:bc000400
        80000000:ffffffff -> 80000008:00000000:00000000:00000000
        80000001:ffffffff -> 00000000:00000000:00000121:2c100800
       MSRs:
        index    -> value          \s
        000000ce -> 0000000080000000
        0000010a -> 00000000000000eb
      PV Default policy: 113 leaves, 2 MSRs
       CPUID:
        leaf     subleaf  -> eax      ebx      ecx      edx     \s
        00000000:ffffffff -> 0000000d:756e6547:6c65746e:49656e69
        00000001:ffffffff -> 00050657:00000800:f6d83203:1789cbf5
        00000007:00000000 -> 00000000:d19d47ab:00000808:bc000400
        80000000:ffffffff -> 80000008:00000000:00000000:00000000
        80000001:ffffffff -> 00000000:00000000:00000121:2c100800
       MSRs:
        index    -> value          \s
        000000ce -> 0000000000000000
        0000010a -> 00000000000000eb
      HVM Default policy: 113 leaves, 2 MSRs
       CPUID:
        leaf     subleaf  -> eax      ebx      ecx      edx     \s
        00000000:ffffffff -> 0000000d:756e6547:6c65746e:49656e69
        00000001:ffffffff -> 00050657:00000800:f7fa3223:1fabfbff
        00000007:00000000 -> 00000000:d19f47ab:00000808:bc000400
        80000000:ffffffff -> 80000008:00000000:00000000:00000000
        80000001:ffffffff -> 00000000:00000000:00000121:2c100800
       MSRs:
        index    -> value          \s
        000000ce -> 0000000000000000
        0000010a -> 00000000000000eb
      """;

  /** A one-block dump, line numbers 1..10. */
  static final String DOMAIN = """
      Domain 3 policy: 40 leaves, 2 MSRs
       CPUID:
        leaf     subleaf  -> eax      ebx      ecx      edx
        00000000:ffffffff -> 0000000d:756e6547:6c65746e:49656e69
        00000001:ffffffff -> 00050657:00000800:f7fa3223:1fabfbff
        00000007:00000000 -> 00000000:d19f47ab:00000808:bc000400
       MSRs:
        index    -> value
        000000ce -> 0000000000000000
        0000010a -> 00000000000000eb
      """;

  static String resource(String name) throws IOException {
    try (InputStream in = PolicyTextTest.class.getResourceAsStream("/xenaudit/policy/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  static CpuPolicy guest(Model m, boolean hvm, Variation... v) {
    EnumSet<Variation> set = v.length == 0 ? EnumSet.noneOf(Variation.class) : EnumSet.of(v[0], v);
    return CpuPolicy.of(CpuidProfiles.cpuid(m, hvm, 4, 19, 4, set), CpuidProfiles.msr(m, 4, 19, set));
  }

  @Test
  void parsesTheSixBlocksOfAHostDump() throws Exception {
    List<NamedPolicy> blocks = PolicyText.parse(HOST_DUMP);

    assertEquals(List.of("Raw", "Host", "PV Max", "HVM Max", "PV Default", "HVM Default"),
        blocks.stream().map(NamedPolicy::name).toList());
    CpuPolicy hvmMax = blocks.get(3).policy();
    assertEquals(5, hvmMax.leaves().size());
    assertEquals(Vendor.INTEL, hvmMax.vendor());
    assertEquals(0xDL, hvmMax.maxBasicLeaf());
    assertEquals(0x80000008L, hvmMax.maxExtendedLeaf());
    assertEquals(0x80000000L, hvmMax.msr(0xCE));
    assertEquals(0xEBL, hvmMax.msr(0x10A));
    assertEquals(0x1FABFBFF, hvmMax.leaf(1, CpuPolicy.NO_SUBLEAF)[3]);
    assertTrue(hvmMax.present(Features.byName("hypervisor")));
    assertFalse(blocks.get(1).policy().present(Features.byName("hypervisor")));
    assertTrue(hvmMax.present(Features.byName("rtm")));
    assertFalse(blocks.get(5).policy().present(Features.byName("rtm")));
    assertEquals(0x16L, blocks.get(0).policy().maxBasicLeaf());
  }

  @Test
  void aLeafTheTextSkipsIsUnknownToThePolicyNotFalse() throws Exception {
    CpuPolicy p = PolicyText.parse(DOMAIN).get(0).policy();
    // 0xD:1 lies inside the max leaf but is not listed: xen-cpuid skipped it because it was zero.
    assertNull(p.leaf(0xD, 1));
    assertNull(p.present(Features.byName("xsaveopt")));
  }

  @Test
  void parsesTheHostDumpResource() throws Exception {
    List<NamedPolicy> blocks = PolicyText.parse(resource("host-intel.txt"));

    assertEquals(List.of("Raw", "Host", "PV Max", "HVM Max", "PV Default", "HVM Default"),
        blocks.stream().map(NamedPolicy::name).toList());
    CpuPolicy hvmMax = blocks.get(3).policy();
    assertTrue(hvmMax.present(Features.byName("rtm")));
    assertTrue(hvmMax.present(Features.byName("avx512f")));
    assertFalse(blocks.get(5).policy().present(Features.byName("rtm")));
    assertEquals(1L << 31, hvmMax.msr(0xCE));
  }

  @Test
  void acceptsCrLfTrimmedHeadingsAndBlankLines() throws Exception {
    String text = "\n" + DOMAIN.replace("edx\n", "edx   \n").replace("\n", "\r\n") + "\r\n\r\n";
    assertEquals(PolicyText.parse(DOMAIN), PolicyText.parse(text));
  }

  @Test
  void skipsBlocksXenDoesNotSupport() throws Exception {
    String text = "PV Max policy not supported by Xen\n" + DOMAIN + "PV Default policy not supported by Xen\n";
    assertEquals(List.of("Domain 3"), PolicyText.parse(text).stream().map(NamedPolicy::name).toList());
  }

  @Test
  void aMalformedLeafLineNamesItsLine() {
    String text = DOMAIN.replace("00000001:ffffffff -> 00050657:00000800:f7fa3223:1fabfbff",
        "00000001:ffffffff -> 00050657:00000800:f7fa3223");
    PolicyTextException e = assertThrows(PolicyTextException.class, () -> PolicyText.parse(text));
    assertEquals(5, e.line());
    assertEquals("line 5: expected \"  LLLLLLLL:SSSSSSSS -> AAAAAAAA:BBBBBBBB:CCCCCCCC:DDDDDDDD\" or \" MSRs:\", "
        + "found \"  00000001:ffffffff -> 00050657:00000800:f7fa3223\"", e.getMessage());
  }

  @Test
  void otherMalformedLinesNameTheirLines() {
    assertLine(1, "expected \"NAME policy: N leaves, M MSRs\"", "garbage\n" + DOMAIN);
    assertLine(2, "expected \" CPUID:\"", DOMAIN.replace(" CPUID:", " CPUIDs:"));
    // seven hex digits
    assertLine(6, "expected \"  LLLLLLLL", DOMAIN.replace("-> 00000000:d19f47ab", "-> 0000000:d19f47ab"));
    assertLine(9, "expected \"  IIIIIIII -> VVVVVVVVVVVVVVVV\"",
        DOMAIN.replace("000000ce -> 0000000000000000", "000000ce -> 000000000000000"));
    // column headings only as the first line of a section
    assertLine(6, "found \"  leaf     subleaf", DOMAIN.replace("  00000007:00000000",
        "  leaf     subleaf  -> eax      ebx      ecx      edx\n  00000007:00000000"));
    assertLine(11, "found end of text", "Domain 3 policy: 1 leaves, 0 MSRs\n CPUID:\n"
        + "  00000000:ffffffff -> 0000000d:756e6547:6c65746e:49656e69\n".repeat(1) + "\n".repeat(7));
    assertLine(3, "found end of text", "Domain 3 policy: 1 leaves, 0 MSRs\n\n");
  }

  @Test
  void duplicatesAreErrors() {
    assertLine(7, "leaf 00000007:00000000 listed twice in block \"Domain 3\" (first on line 6)",
        DOMAIN.replace("\n MSRs:", "\n  00000007:00000000 -> 00000000:00000000:00000000:00000000\n MSRs:"));
    assertLine(11, "MSR 0000010a listed twice", DOMAIN + "  0000010a -> 0000000000000000\n");
    assertLine(11, "a second block named \"DOMAIN 3\" (first on line 1)", DOMAIN + DOMAIN.replace("Domain 3", "DOMAIN 3"));
  }

  @Test
  void countsMustMatchTheLines() {
    // More leaf lines than the header counts: an error at the header.
    assertLine(1, "block \"Domain 3\" says 2 leaves but lists 3", DOMAIN.replace("40 leaves", "2 leaves"));
    // MSRs are never skipped, so their count must be exact.
    assertLine(1, "block \"Domain 3\" says 3 MSRs but lists 2", DOMAIN.replace("2 MSRs", "3 MSRs"));
    assertLine(12, "block \"Second\" says 0 MSRs but lists 1",
        DOMAIN + "\nSecond policy: 0 leaves, 0 MSRs\n CPUID:\n MSRs:\n  000000ce -> 0000000000000000\n");
  }

  @Test
  void fewerLeafLinesThanTheHeaderCountsIsNormal() throws Exception {
    // xen-cpuid counts the all-zero leaves it does not print; exactly N is fine too.
    assertEquals(3, PolicyText.parse(DOMAIN.replace("40 leaves", "3 leaves")).get(0).policy().leaves().size());
    assertEquals(3, PolicyText.parse(DOMAIN).get(0).policy().leaves().size());
  }

  @Test
  void aTextWithoutBlocksIsAnError() {
    for (String text : List.of("", "\n\n", "Xen reports there are maximum 120 leaves and 2 MSRs\n",
        "HVM Max policy not supported by Xen\n")) {
      PolicyTextException e = assertThrows(PolicyTextException.class, () -> PolicyText.parse(text));
      assertEquals(0, e.line());
      assertTrue(e.getMessage().startsWith("no \"NAME policy: N leaves, M MSRs\" block"), e.getMessage());
    }
  }

  @Test
  void inputIsCapped() {
    PolicyTextException big = assertThrows(PolicyTextException.class,
        () -> PolicyText.parse(DOMAIN + " ".repeat(PolicyText.MAX_CHARS)));
    assertEquals(0, big.line());
    assertTrue(big.getMessage().contains("at most 1048576"), big.getMessage());

    PolicyTextException tall = assertThrows(PolicyTextException.class,
        () -> PolicyText.parse(DOMAIN + "\n".repeat(PolicyText.MAX_LINES)));
    assertEquals(PolicyText.MAX_LINES + 1, tall.line());
    // exactly at the limit is accepted
    int domainLines = (int) DOMAIN.lines().count();
    assertDoesNotThrow(DOMAIN + "\n".repeat(PolicyText.MAX_LINES - domainLines));
  }

  @Test
  void formatWritesXenCpuidsForm() {
    CpuPolicy p = CpuPolicy.builder()
        .leaf(0x80000000L, CpuPolicy.NO_SUBLEAF, 0x80000008, 0, 0, 0)
        .leaf(0, CpuPolicy.NO_SUBLEAF, 0xD, 0x756e6547, 0x6c65746e, 0x49656e69)
        .leaf(6, CpuPolicy.NO_SUBLEAF, 0, 0, 0, 0)
        .leaf(7, 0, 0, 0xd19f47ab, 0x808, 0xbc000400)
        .msr(0x10A, 0xEB)
        .msr(0xCE, 0)
        .build();
    assertEquals("HVM Max policy: 3 leaves, 2 MSRs\n"
        + " CPUID:\n"
        + "  leaf     subleaf  -> eax      ebx      ecx      edx     \n"
        + "  00000000:ffffffff -> 0000000d:756e6547:6c65746e:49656e69\n"
        + "  00000007:00000000 -> 00000000:d19f47ab:00000808:bc000400\n"
        + "  80000000:ffffffff -> 80000008:00000000:00000000:00000000\n"
        + " MSRs:\n"
        + "  index    -> value           \n"
        + "  000000ce -> 0000000000000000\n"
        + "  0000010a -> 00000000000000eb\n", PolicyText.format("HVM Max", p));
  }

  @Test
  void formatThenParseGivesThePolicyBackWithoutItsZeroLeaves() throws Exception {
    for (Model m : Model.values()) {
      for (boolean hvm : new boolean[] {true, false}) {
        CpuPolicy p = guest(m, hvm, Variation.CPUID_FAULTING, Variation.ITS_NO);
        List<NamedPolicy> back = PolicyText.parse(PolicyText.format("Domain 7", p));

        assertEquals(1, back.size());
        assertEquals("Domain 7", back.get(0).name());
        assertEquals(withoutZeroLeaves(p), back.get(0).policy(), m + " hvm=" + hvm);
        assertTrue(back.get(0).policy().leaves().size() < p.leaves().size(), "profiles have zero leaves");
      }
    }
  }

  @Test
  void formatRejectsNamesItCouldNotReadBack() {
    for (String name : new String[] {"", " HVM Max", "HVM Max ", "two\nlines"}) {
      assertThrows(IllegalArgumentException.class, () -> PolicyText.format(name, CpuPolicy.NONE));
    }
  }

  static CpuPolicy withoutZeroLeaves(CpuPolicy p) {
    CpuPolicy.Builder b = CpuPolicy.builder();
    for (CpuidLeaf l : p.leaves()) {
      if ((l.eax() | l.ebx() | l.ecx() | l.edx()) != 0) {
        b.leaf(l.uLeaf(), l.uSubleaf(), l.eax(), l.ebx(), l.ecx(), l.edx());
      }
    }
    p.msrs().forEach(b::msr);
    return b.build();
  }

  private static void assertDoesNotThrow(String text) {
    org.junit.jupiter.api.Assertions.assertDoesNotThrow(() -> PolicyText.parse(text));
  }

  private static void assertLine(int line, String fragment, String text) {
    PolicyTextException e = assertThrows(PolicyTextException.class, () -> PolicyText.parse(text));
    assertEquals(line, e.line(), e.getMessage());
    assertTrue(e.getMessage().startsWith("line " + line + ": "), e.getMessage());
    assertTrue(e.getMessage().contains(fragment), e.getMessage());
  }
}
