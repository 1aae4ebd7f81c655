package xenaudit.format;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Structure sizes from the C headers (as Xen's tests.py checks its format strings). */
class StructSizeTest {
  @Test
  void onDiskStructuresHaveTheirCSizes() {
    assertEquals(24, CpuidLeaf.SIZE, "xen_cpuid_leaf_t");
    assertEquals(16, MsrEntry.SIZE, "xen_msr_entry_t");
    assertEquals(24, ImageHeader.SIZE, "xc_sr_ihdr");
    assertEquals(16, DomainHeader.SIZE, "xc_sr_dhdr");
    assertEquals(16, LibxlHeader.SIZE, "libxl_sr_hdr");
    assertEquals(8, RecordHeader.SIZE, "xc_sr_rhdr / libxl_sr_rec_hdr");
    assertEquals(48, XlHeader.SIZE, "xl save_file_header");
    assertEquals(64, LibvirtHeader.SIZE, "libvirt libxlSavefileHeader");
    assertEquals(8, LibxcReader.PAGE_DATA_HEADER_SIZE, "PAGE_DATA header");
    assertEquals(8, LibxcReader.X86_PV_INFO_SIZE, "X86_PV_INFO");
    assertEquals(8, LibxcReader.P2M_HEADER_SIZE, "X86_PV_P2M_FRAMES header");
    assertEquals(8, LibxcReader.VCPU_HEADER_SIZE, "PV vCPU header");
    assertEquals(24, LibxcReader.TSC_INFO_SIZE, "X86_TSC_INFO");
    assertEquals(16, LibxcReader.HVM_PARAM_SIZE, "HVM param entry");
    assertEquals(8, LibxcReader.HVM_PARAMS_HEADER_SIZE, "HVM_PARAMS header");
    assertEquals(8, LibxlReader.EMULATOR_HEADER_SIZE, "emulator sub-header");
    assertEquals(44, ImageReader.MIGRATE_HANDSHAKE.length, "xl migrate handshake with NUL");
  }

  @Test
  void layoutOffsetsMatchTheSpec() {
    assertEquals(32, XlHeader.BYTE_ORDER_OFFSET);
    assertEquals(44, XlHeader.OPTIONAL_DATA_LEN_OFFSET);
    assertEquals(12, ImageHeader.VERSION_OFFSET);
    assertEquals(16, ImageHeader.OPTIONS_OFFSET);
    assertEquals(8, DomainHeader.XEN_MAJOR_OFFSET);
    assertEquals(12, LibxlHeader.OPTIONS_OFFSET);
  }

  @Test
  void featureTableCoversEveryWord() {
    // 287 XEN_CPUFEATURE entries at the snapshot the table was taken from.
    assertEquals(287, CpuFeature.all().size());
    CpuFeature itsNo =
        CpuFeature.all().stream().filter(f -> f.name().equals("ITS_NO")).findFirst().orElseThrow();
    assertEquals(62, itsNo.msrBit());
    assertEquals(MsrEntry.ARCH_CAPABILITIES, itsNo.leafOrMsr());
  }
}
