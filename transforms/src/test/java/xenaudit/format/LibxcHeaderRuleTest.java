package xenaudit.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static xenaudit.format.FindingCode.*;
import static xenaudit.format.RuleImages.*;
import static xenaudit.format.Severity.ERROR;
import static xenaudit.format.Severity.INFO;
import static xenaudit.format.Severity.WARNING;
import static xenaudit.sample.StreamWriter.DOMAIN_X86_HVM;
import static xenaudit.sample.StreamWriter.LIBXC_ID;
import static xenaudit.sample.StreamWriter.LIBXC_MARKER;
import static xenaudit.sample.StreamWriter.PAGE_SHIFT;

import org.junit.jupiter.api.Test;
import xenaudit.sample.GuestSpec;
import xenaudit.sample.ImagePlan;

/** The libxc image header and domain header, inside an xl file and as a bare libxc stream. */
class LibxcHeaderRuleTest {
  static Plan imageHeader(Plan p, long marker, long id, long version, int options, int reserved16, long reserved32) {
    return p.replaceHeader(ImagePlan.LIBXC_IMAGE_HEADER,
        w -> w.libxcImageHeader(marker, id, version, options, reserved16, reserved32));
  }

  static Plan domainHeader(Plan p, long type, int pageShift, int reserved, long major, long minor) {
    return p.replaceHeader(ImagePlan.LIBXC_DOMAIN_HEADER,
        w -> w.domainHeader(type, pageShift, reserved, major, minor));
  }

  static Plan bareLibxc() {
    return plan(spec(GuestSpec.Kind.HVM).withContainer(Container.LIBXC));
  }

  // ------------------------------------------------------------------ image header

  @Test
  void badMarker() {
    // Inside a libxl stream (a bare stream without the marker is no libxc stream at all).
    Image img = imageHeader(hvm(), LIBXC_MARKER - 1, LIBXC_ID, 3, 0, 0, 0).write();
    check(img).has(ERROR, LIBXC_BAD_MARKER, img.mark("libxc_image_header")).invalid();
    Image zero = imageHeader(hvm(), 0, LIBXC_ID, 3, 0, 0, 0).write();
    check(zero).has(ERROR, LIBXC_BAD_MARKER, zero.mark("libxc_image_header")).invalid();

    check(hvm().write()).lacks(LIBXC_BAD_MARKER).clean();
  }

  @Test
  void badId() {
    Image nested = imageHeader(hvm(), LIBXC_MARKER, 0x58454E47L, 3, 0, 0, 0).write();
    check(nested).has(ERROR, LIBXC_BAD_ID, nested.mark("libxc_image_header")).invalid();
    Image bare = imageHeader(bareLibxc(), LIBXC_MARKER, 0x464E4558L, 3, 0, 0, 0).write();
    check(bare).has(ERROR, LIBXC_BAD_ID, 0, -1, "image_header", Layer.LIBXC).invalid();
    assertEquals(Container.LIBXC, bare.read().container());

    check(bareLibxc().write()).lacks(LIBXC_BAD_ID).clean();
  }

  @Test
  void badVersion() {
    for (long v : new long[] {0, 1, 4, 0xFFFFFFFFL}) {
      Image img = imageHeader(hvm(), LIBXC_MARKER, LIBXC_ID, v, 0, 0, 0).write();
      check(img).has(ERROR, LIBXC_BAD_VERSION, img.mark("libxc_image_header")).invalid();
      assertEquals(0, img.read().streamVersion());
    }
    // Both versions Xen has: 3 (4.14+), and 2 for a stream of Xen 4.13.
    check(hvm().write()).lacks(LIBXC_BAD_VERSION).clean();
    Image v2 = plan(spec(GuestSpec.Kind.HVM).withXen(4, 13)).write();
    check(v2).lacks(LIBXC_BAD_VERSION).clean();
    assertEquals(2, v2.read().streamVersion());
  }

  @Test
  void bigEndian() {
    Image img = imageHeader(hvm(), LIBXC_MARKER, LIBXC_ID, 3, 1, 0, 0).write();
    check(img).has(ERROR, LIBXC_BIG_ENDIAN, img.mark("libxc_image_header")).lacks(LIBXC_RESERVED_OPTIONS).invalid();
    check(hvm().write()).lacks(LIBXC_BIG_ENDIAN).clean();
  }

  @Test
  void reservedOptions() {
    for (int options : new int[] {1 << 1, 1 << 15}) {
      Image img = imageHeader(hvm(), LIBXC_MARKER, LIBXC_ID, 3, options, 0, 0).write();
      check(img).has(ERROR, LIBXC_RESERVED_OPTIONS, img.mark("libxc_image_header")).lacks(LIBXC_BIG_ENDIAN).invalid();
    }
    check(hvm().write()).lacks(LIBXC_RESERVED_OPTIONS).clean();
  }

  @Test
  void headerReserved() {
    Image r16 = imageHeader(hvm(), LIBXC_MARKER, LIBXC_ID, 3, 0, 1, 0).write();
    check(r16).has(ERROR, LIBXC_HEADER_RESERVED, r16.mark("libxc_image_header")).invalid();
    Image r32 = imageHeader(hvm(), LIBXC_MARKER, LIBXC_ID, 3, 0, 0, 0x80000000L).write();
    check(r32).has(ERROR, LIBXC_HEADER_RESERVED, r32.mark("libxc_image_header")).invalid();

    check(hvm().write()).lacks(LIBXC_HEADER_RESERVED).clean();
  }

  // ------------------------------------------------------------------ domain header

  @Test
  void domainBadType() {
    for (long type : new long[] {0, 3, 4}) {
      Image img = domainHeader(hvm(), type, PAGE_SHIFT, 0, 4, 19).write();
      check(img).has(ERROR, DOMAIN_BAD_TYPE, img.mark("libxc_domain_header")).invalid();
      assertNull(img.read().guestType());
    }
    Image bare = domainHeader(bareLibxc(), 3, PAGE_SHIFT, 0, 4, 19).write();
    check(bare).has(ERROR, DOMAIN_BAD_TYPE, 24, -1, "domain_header", Layer.LIBXC).invalid();

    check(hvm().write()).lacks(DOMAIN_BAD_TYPE).clean();
    check(pv().write()).lacks(DOMAIN_BAD_TYPE).clean();
  }

  @Test
  void domainBadPageShift() {
    for (int shift : new int[] {0, 13, 21}) {
      Image img = domainHeader(hvm(), DOMAIN_X86_HVM, shift, 0, 4, 19).write();
      check(img).has(ERROR, DOMAIN_BAD_PAGE_SHIFT, img.mark("libxc_domain_header")).invalid();
    }
    check(domainHeader(hvm(), DOMAIN_X86_HVM, 12, 0, 4, 19).write()).lacks(DOMAIN_BAD_PAGE_SHIFT).clean();
  }

  @Test
  void domainHeaderReserved() {
    Image img = domainHeader(hvm(), DOMAIN_X86_HVM, PAGE_SHIFT, 0x100, 4, 19).write();
    check(img).has(ERROR, DOMAIN_HEADER_RESERVED, img.mark("libxc_domain_header")).invalid();
    check(hvm().write()).lacks(DOMAIN_HEADER_RESERVED).clean();
  }

  @Test
  void xenVersionMismatch() {
    // v3 written by a Xen that only wrote v2.
    Image v3old = domainHeader(hvm(), DOMAIN_X86_HVM, PAGE_SHIFT, 0, 4, 13).write();
    check(v3old).has(WARNING, XEN_VERSION_MISMATCH, v3old.mark("libxc_domain_header")).valid();
    // v2 written by a Xen that writes v3, or by one older than v2.
    GuestSpec v2 = spec(GuestSpec.Kind.HVM).withXen(4, 13);
    for (long[] xen : new long[][] {{4, 14}, {4, 5}, {3, 4}}) {
      Image img = domainHeader(plan(v2), DOMAIN_X86_HVM, PAGE_SHIFT, 0, xen[0], xen[1]).write();
      check(img).has(WARNING, XEN_VERSION_MISMATCH, img.mark("libxc_domain_header")).valid();
    }

    check(domainHeader(hvm(), DOMAIN_X86_HVM, PAGE_SHIFT, 0, 4, 14).write()).lacks(XEN_VERSION_MISMATCH).clean();
    check(domainHeader(hvm(), DOMAIN_X86_HVM, PAGE_SHIFT, 0, 5, 0).write()).lacks(XEN_VERSION_MISMATCH).clean();
    check(domainHeader(plan(v2), DOMAIN_X86_HVM, PAGE_SHIFT, 0, 4, 6).write()).lacks(XEN_VERSION_MISMATCH).clean();
    check(plan(v2).write()).lacks(XEN_VERSION_MISMATCH).clean();
  }

  @Test
  void bareLibxcLegacyConverted() {
    // xen_major 0 marks the converter; a bare libxc stream has no libxl bit to disagree with.
    Image img = domainHeader(bareLibxc(), DOMAIN_X86_HVM, PAGE_SHIFT, 0, 0, 1).write();
    check(img).has(INFO, LEGACY_CONVERTED, img.mark("libxc_domain_header")).lacks(LEGACY_MARK_MISMATCH,
        XEN_VERSION_MISMATCH).valid();
    assertEquals("0.1", img.read().xenVersion());
  }
}
