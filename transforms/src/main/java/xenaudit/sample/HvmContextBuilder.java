package xenaudit.sample;

/**
 * Builds an HVM_CONTEXT blob: a chain of {@code hvm_save_descriptor}s (u16 typecode, u16 instance,
 * u32 length) each followed by its data, starting with HEADER and ending with END (format doc §3.7).
 * Data other than the HEADER's is zeros of the real structure size, which is all a reader checks.
 */
public final class HvmContextBuilder {
  public static final int END = 0;
  public static final int HEADER = 1;
  public static final int CPU = 2;
  public static final int PIC = 3;
  public static final int IOAPIC = 4;
  public static final int LAPIC = 5;
  public static final int LAPIC_REGS = 6;
  public static final int PCI_IRQ = 7;
  public static final int ISA_IRQ = 8;
  public static final int PCI_LINK = 9;
  public static final int PIT = 10;
  public static final int RTC = 11;
  public static final int HPET = 12;
  public static final int PMTIMER = 13;
  public static final int MTRR = 14;
  public static final int VIRIDIAN_DOMAIN = 15;
  public static final int CPU_XSAVE = 16;
  public static final int VIRIDIAN_VCPU = 17;
  public static final int VMCE_VCPU = 18;
  public static final int TSC_ADJUST = 19;
  public static final int CPU_MSR = 20;

  public static final long HEADER_MAGIC = 0x54381286L;
  public static final long HEADER_VERSION = 1;

  /** sizeof the x86 save structures (xen/include/public/arch-x86/hvm/save.h, x86_64 build). */
  public static final int SIZE_HEADER = 24;
  public static final int SIZE_CPU = 1032;
  public static final int SIZE_PIC = 8;
  public static final int SIZE_IOAPIC = 400;
  public static final int SIZE_LAPIC = 32;
  public static final int SIZE_LAPIC_REGS = 1024;
  public static final int SIZE_PCI_IRQ = 16;
  public static final int SIZE_ISA_IRQ = 8;
  public static final int SIZE_PCI_LINK = 8;
  public static final int SIZE_PIT = 56;
  public static final int SIZE_RTC = 24;
  public static final int SIZE_HPET = 1048;
  public static final int SIZE_PMTIMER = 8;
  public static final int SIZE_MTRR = 240;
  public static final int SIZE_VMCE_VCPU = 32;
  public static final int SIZE_TSC_ADJUST = 8;

  private final Le b = new Le(8192);

  /** A raw descriptor with {@code length} bytes of zero data. */
  public HvmContextBuilder add(int typecode, int instance, int length) {
    b.u16(typecode).u16(instance).u32(length).zeros(length);
    return this;
  }

  /** A raw descriptor with the given data. */
  public HvmContextBuilder add(int typecode, int instance, byte[] data) {
    b.u16(typecode).u16(instance).u32(data.length).bytes(data);
    return this;
  }

  /** HEADER: magic, version, changeset, CPUID.1.EAX of the saving host, guest TSC kHz. */
  public HvmContextBuilder header(long magic, long version, long changeset, long cpuid, long gtscKhz) {
    return add(HEADER, 0, new Le(SIZE_HEADER).u32(magic).u32(version).u64(changeset).u32(cpuid).u32(gtscKhz).array());
  }

  public HvmContextBuilder header(long changeset, long cpuid, long gtscKhz) {
    return header(HEADER_MAGIC, HEADER_VERSION, changeset, cpuid, gtscKhz);
  }

  /** CPU_XSAVE for one vCPU: u64 xfeature_mask, u64 xcr0, u64 xcr0_accum, then the XSAVE area. */
  public HvmContextBuilder cpuXsave(int vcpu, long xfeatureMask, long xcr0, int areaSize) {
    byte[] d = new Le(24 + areaSize).u64(xfeatureMask).u64(xcr0).u64(xcr0).zeros(areaSize).array();
    return add(CPU_XSAVE, vcpu, d);
  }

  /** CPU_MSR for one vCPU: u32 count, u32 pad, then {u32 index, u32 reserved, u64 value}. */
  public HvmContextBuilder cpuMsr(int vcpu, long[][] msrs) {
    Le d = new Le(8 + 16 * msrs.length).u32(msrs.length).u32(0);
    for (long[] m : msrs) {
      d.u32(m[0]).u32(0).u64(m[1]);
    }
    return add(CPU_MSR, vcpu, d.array());
  }

  public HvmContextBuilder end() {
    return add(END, 0, 0);
  }

  public byte[] toBytes() {
    return b.array();
  }
}
