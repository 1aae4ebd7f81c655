package xenaudit.format;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Walks the {@code hvm_save_descriptor} chain of an HVM_CONTEXT record (xen/include/public/
 * arch-x86/hvm/save.h) without reading the saved state itself.
 *
 * <pre>
 * descriptor, 8 bytes LE:  u16 typecode, u16 instance, u32 length (of the data that follows)
 * HEADER (typecode 1) data: u32 magic 0x54381286, u32 version 1, u64 changeset, u32 cpuid, u32 gtsc_khz
 * END (typecode 0), length 0, last
 * </pre>
 */
final class HvmContextCheck {
  static final int DESCRIPTOR_SIZE = 8;
  static final int TYPE_END = 0;
  static final int TYPE_HEADER = 1;
  static final int HEADER_SIZE = 24;
  static final long HEADER_MAGIC = 0x54381286L;
  static final long HEADER_VERSION = 1;
  /** CPU_MSR, the highest x86 typecode Xen defines. */
  static final int MAX_KNOWN_TYPE = 20;
  /** Far above any real guest (a few hundred); keeps a hostile chain from costing a read per 8 bytes. */
  static final int MAX_DESCRIPTORS = 1 << 16;

  private HvmContextCheck() {}

  static void check(RecordBody body, Located at) throws IOException {
    int n = 0;
    boolean end = false;
    boolean unknownReported = false;
    while (body.remaining() >= DESCRIPTOR_SIZE && n < MAX_DESCRIPTORS) {
      long descOffset = body.consumed();
      ByteBuffer d = body.read(DESCRIPTOR_SIZE);
      int type = Short.toUnsignedInt(d.getShort(0));
      long length = Integer.toUnsignedLong(d.getInt(4));
      if (end) {
        at.report(
            FindingCode.HVM_CONTEXT_BAD_CHAIN,
            "descriptor " + n + " (typecode " + type + ") at body offset " + descOffset + " follows END");
        return;
      }
      if (length > body.remaining()) {
        at.report(
            FindingCode.HVM_CONTEXT_BAD_CHAIN,
            String.format(
                "descriptor %d (typecode %d) declares %d bytes, only %d left in the record",
                n, type, length, body.remaining()));
        return;
      }
      long dataLeft = length;
      if (n == 0) {
        if (type != TYPE_HEADER) {
          at.report(
              FindingCode.HVM_CONTEXT_BAD_CHAIN, "expected HEADER (typecode 1) first, found typecode " + type);
        } else if (length < HEADER_SIZE) {
          at.report(
              FindingCode.HVM_CONTEXT_BAD_CHAIN,
              "HEADER descriptor length " + length + ", expected at least " + HEADER_SIZE);
        } else {
          ByteBuffer h = body.read(8);
          dataLeft -= 8;
          long magic = Integer.toUnsignedLong(h.getInt(0));
          long version = Integer.toUnsignedLong(h.getInt(4));
          if (magic != HEADER_MAGIC || version != HEADER_VERSION) {
            at.report(
                FindingCode.HVM_CONTEXT_BAD_CHAIN,
                String.format(
                    "HEADER expected magic 0x%08x version %d, found 0x%08x version %d",
                    HEADER_MAGIC, HEADER_VERSION, magic, version));
          }
        }
      } else if (type == TYPE_END) {
        end = true;
        if (length != 0) {
          at.report(FindingCode.HVM_CONTEXT_BAD_CHAIN, "END descriptor has length " + length + ", expected 0");
        }
      } else if (type > MAX_KNOWN_TYPE && !unknownReported) {
        unknownReported = true;
        at.report(
            FindingCode.HVM_CONTEXT_UNKNOWN_TYPE,
            "descriptor " + n + " has typecode " + type + "; Xen defines 0.." + MAX_KNOWN_TYPE);
      }
      body.skip(dataLeft);
      n++;
    }
    if (n == MAX_DESCRIPTORS) {
      return; // not a real guest; the rest of the body is skipped unchecked
    }
    if (!end) {
      at.report(FindingCode.HVM_CONTEXT_BAD_CHAIN, "descriptor chain has no END (typecode 0)");
    } else if (body.remaining() > 0) {
      at.report(
          FindingCode.HVM_CONTEXT_BAD_CHAIN, body.remaining() + " stray bytes after the END descriptor");
    }
  }
}
