package xenaudit.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.List;
import org.junit.jupiter.api.Test;
import xenaudit.format.GuestType;
import xenaudit.policy.PolicyText.NamedPolicy;

class TargetPolicyTest {
  @Test
  void aHostDumpGivesHvmGuestsHvmMaxAndPvGuestsPvMax() throws Exception {
    String text = PolicyTextTest.resource("host-intel.txt");
    List<NamedPolicy> blocks = PolicyText.parse(text);
    TargetPolicy t = TargetPolicy.parse("host-intel.txt", text);

    assertEquals(blocks.get(3).policy(), t.forGuest(GuestType.X86_HVM));
    assertEquals(blocks.get(2).policy(), t.forGuest(GuestType.X86_PV));
    assertEquals("host-intel.txt:HVM Max", t.blockFor(GuestType.X86_HVM));
    assertEquals("host-intel.txt:PV Max", t.blockFor(GuestType.X86_PV));
    assertEquals("host-intel.txt", t.source());
  }

  @Test
  void blockNamesMatchWhateverTheirCase() throws Exception {
    String text = PolicyTextTest.HOST_DUMP.replace("HVM Max policy", "hvm max policy").replace("PV Max policy", "Pv MAX policy");
    TargetPolicy t = TargetPolicy.parse("h.txt", text);

    assertEquals("h.txt:hvm max", t.blockFor(GuestType.X86_HVM));
    assertEquals("h.txt:Pv MAX", t.blockFor(GuestType.X86_PV));
    assertEquals(0x1FABFBFF, t.forGuest(GuestType.X86_HVM).leaf(1, CpuPolicy.NO_SUBLEAF)[3]);
    assertEquals(0x1789CBF5, t.forGuest(GuestType.X86_PV).leaf(1, CpuPolicy.NO_SUBLEAF)[3]);
  }

  @Test
  void aSingleBlockServesEveryGuest() throws Exception {
    TargetPolicy t = TargetPolicy.parse("pool.txt", PolicyTextTest.DOMAIN);

    assertSame(t.forGuest(GuestType.X86_HVM), t.forGuest(GuestType.X86_PV));
    assertEquals(PolicyText.parse(PolicyTextTest.DOMAIN).get(0).policy(), t.forGuest(GuestType.X86_PV));
    assertEquals("pool.txt:Domain 3", t.blockFor(GuestType.X86_HVM));
    assertEquals("pool.txt:Domain 3", t.blockFor(GuestType.X86_PV));
  }

  @Test
  void severalBlocksWithoutBothMaxBlocksAreRejected() {
    String noPvMax = PolicyTextTest.HOST_DUMP.replace("PV Max policy", "PV Maximum policy");
    PolicyTextException e = assertThrows(PolicyTextException.class, () -> TargetPolicy.parse("h.txt", noPvMax));
    assertEquals(0, e.line());
    assertTrue(e.getMessage().startsWith("h.txt: 6 policy blocks [Raw, Host, PV Maximum, HVM Max, PV Default, "
        + "HVM Default] but not both \"HVM Max\" and \"PV Max\""), e.getMessage());

    String twoDomains = PolicyTextTest.DOMAIN + PolicyTextTest.DOMAIN.replace("Domain 3", "Domain 4");
    assertThrows(PolicyTextException.class, () -> TargetPolicy.parse("d.txt", twoDomains));
  }

  @Test
  void parseErrorsComeThrough() {
    PolicyTextException e = assertThrows(PolicyTextException.class,
        () -> TargetPolicy.parse("x.txt", PolicyTextTest.DOMAIN.replace(" MSRs:", " MSR:")));
    assertEquals(7, e.line());
  }

  @Test
  void survivesJavaSerialisation() throws Exception {
    TargetPolicy t = TargetPolicy.parse("host-intel.txt", PolicyTextTest.resource("host-intel.txt"));
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(t);
    }
    TargetPolicy back;
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      back = (TargetPolicy) in.readObject();
    }
    assertEquals(t.forGuest(GuestType.X86_HVM), back.forGuest(GuestType.X86_HVM));
    assertEquals(t.forGuest(GuestType.X86_PV), back.forGuest(GuestType.X86_PV));
    assertEquals(t.blockFor(GuestType.X86_PV), back.blockFor(GuestType.X86_PV));
  }
}
