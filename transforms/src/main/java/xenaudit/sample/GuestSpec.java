package xenaudit.sample;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import xenaudit.format.Container;
import xenaudit.format.GuestType;
import xenaudit.sample.CpuidProfiles.Model;
import xenaudit.sample.CpuidProfiles.Variation;

/**
 * Everything that decides how one sample guest's image looks.
 *
 * @param name guest name ({@code c_info.name})
 * @param uuid lowercase 8-4-4-4-12 ({@code c_info.uuid})
 * @param container xl, libxl, libxc or libvirt
 * @param kind HVM, PV or PVH (PVH is an HVM domain in the stream)
 * @param xenMajor Xen that wrote the image; 4.6-4.13 write stream v2, 4.14+ v3
 * @param memoryBytes guest RAM, a multiple of 4 KiB
 * @param vcpus online vCPUs ({@code b_info.max_vcpus})
 * @param cpu host CPU model the CPUID/MSR policy derives from
 * @param variations policy departures (only those {@link CpuidProfiles#applicable} to the model count)
 * @param pvWidth PV guest width in bytes: 8 (64-bit, 4 levels) or 4 (32-bit PAE, 3 levels)
 * @param emulatorPhysmap HVM: QEMU has physmap keys, so libxl writes EMULATOR_XENSTORE_DATA
 * @param seed varies the incidental content (TSC nsec, changeset, MACs)
 */
public record GuestSpec(
    String name,
    String uuid,
    Container container,
    Kind kind,
    int xenMajor,
    int xenMinor,
    long memoryBytes,
    int vcpus,
    Model cpu,
    Set<Variation> variations,
    int pvWidth,
    boolean emulatorPhysmap,
    long seed) {

  /** The libxl domain type. */
  public enum Kind {
    HVM("hvm"),
    PV("pv"),
    PVH("pvh");

    private final String label;

    Kind(String label) {
      this.label = label;
    }

    /** As {@code c_info.type} writes it. */
    public String label() {
      return label;
    }
  }

  public static final long PAGE_SIZE = 4096;

  public GuestSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(uuid, "uuid");
    Objects.requireNonNull(container, "container");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(cpu, "cpu");
    if (container == Container.LEGACY || container == Container.UNKNOWN) {
      throw new IllegalArgumentException("container must be xl, libxl, libxc or libvirt, not " + container);
    }
    if (xenMajor != 4 || xenMinor < 6 || xenMinor > 22) {
      throw new IllegalArgumentException("Xen " + xenMajor + "." + xenMinor + " does not write v2/v3 streams");
    }
    if (memoryBytes % PAGE_SIZE != 0 || memoryBytes < (2L << 20)) {
      throw new IllegalArgumentException("memory must be a multiple of 4 KiB and at least 2 MiB: " + memoryBytes);
    }
    if (memoryBytes / PAGE_SIZE > (1L << 32) - 2) {
      throw new IllegalArgumentException("memory too large for u32 P2M pfns: " + memoryBytes);
    }
    if (vcpus < 1 || vcpus > 128) {
      throw new IllegalArgumentException("vcpus 1..128: " + vcpus);
    }
    if (pvWidth != 4 && pvWidth != 8) {
      throw new IllegalArgumentException("pvWidth 4 or 8: " + pvWidth);
    }
    // An EnumSet keeps a fixed iteration order, so output never depends on hash seeds.
    variations = Collections.unmodifiableSet(CpuidProfiles.applicable(cpu,
        variations.isEmpty() ? EnumSet.noneOf(Variation.class) : EnumSet.copyOf(variations)));
  }

  /** libxc stream version: 2 for Xen 4.6-4.13, 3 from 4.14. */
  public int streamVersion() {
    return CpuidProfiles.atLeast(xenMajor, xenMinor, 4, 14) ? 3 : 2;
  }

  public GuestType guestType() {
    return kind == Kind.PV ? GuestType.X86_PV : GuestType.X86_HVM;
  }

  public boolean hvm() {
    return kind != Kind.PV;
  }

  /** "4.19". */
  public String xenVersion() {
    return xenMajor + "." + xenMinor;
  }

  public long memoryPages() {
    return memoryBytes / PAGE_SIZE;
  }

  public GuestSpec withContainer(Container c) {
    return new GuestSpec(name, uuid, c, kind, xenMajor, xenMinor, memoryBytes, vcpus, cpu, variations, pvWidth,
        emulatorPhysmap, seed);
  }

  public GuestSpec withKind(Kind k) {
    return new GuestSpec(name, uuid, container, k, xenMajor, xenMinor, memoryBytes, vcpus, cpu, variations, pvWidth,
        emulatorPhysmap, seed);
  }

  public GuestSpec withXen(int major, int minor) {
    return new GuestSpec(name, uuid, container, kind, major, minor, memoryBytes, vcpus, cpu, variations, pvWidth,
        emulatorPhysmap, seed);
  }

  public GuestSpec withMemory(long bytes) {
    return new GuestSpec(name, uuid, container, kind, xenMajor, xenMinor, bytes, vcpus, cpu, variations, pvWidth,
        emulatorPhysmap, seed);
  }

  public GuestSpec withPvWidth(int width) {
    return new GuestSpec(name, uuid, container, kind, xenMajor, xenMinor, memoryBytes, vcpus, cpu, variations, width,
        emulatorPhysmap, seed);
  }

  public GuestSpec withEmulatorPhysmap(boolean physmap) {
    return new GuestSpec(name, uuid, container, kind, xenMajor, xenMinor, memoryBytes, vcpus, cpu, variations, pvWidth,
        physmap, seed);
  }

  public GuestSpec withVariations(Set<Variation> v) {
    return new GuestSpec(name, uuid, container, kind, xenMajor, xenMinor, memoryBytes, vcpus, cpu, v, pvWidth,
        emulatorPhysmap, seed);
  }

  /** A spec with plain defaults: xl, HVM, Xen 4.19, 64 MiB, 2 vCPUs, Intel Cascade Lake. */
  public static GuestSpec of(String name, String uuid) {
    return new GuestSpec(name, uuid, Container.XL, Kind.HVM, 4, 19, 64L << 20, 2, Model.INTEL_CASCADE_LAKE,
        Set.of(), 8, true, 1);
  }
}
