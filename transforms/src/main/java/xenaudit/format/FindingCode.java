package xenaudit.format;

import static xenaudit.format.Severity.ERROR;
import static xenaudit.format.Severity.INFO;
import static xenaudit.format.Severity.WARNING;

/**
 * Every finding the format core can report. Codes are a public contract (they land in the
 * {@code findings} table and in {@code verify-image --json}); never rename one, only add.
 *
 * <p>Each code has one fixed severity. {@code xen} marks the checks Xen's own {@code
 * verify-stream-v2} makes too; the rest are the stricter checks it misses (format doc §6).
 */
public enum FindingCode {
  // ---- input as a whole
  EMPTY_INPUT(ERROR, "the input has no bytes"),
  NOT_XEN_IMAGE(ERROR, "the first bytes match no Xen image container"),
  LEGACY_IMAGE(ERROR, "pre-v2 (Xen <= 4.5) image: convert it with convert-legacy-stream"),
  TRUNCATED(ERROR, "xen: the input ends inside a header or record, or before END"),
  READ_ERROR(ERROR, "the input could not be read (I/O error)"),
  INTERNAL_ERROR(ERROR, "the reader itself failed; please report with the image"),
  TRAILING_DATA(WARNING, "bytes after the final END"),
  MIGRATE_HANDSHAKE(INFO, "the 44-byte xl migrate handshake follows the final END"),
  FINDINGS_CAPPED(INFO, "too many findings; the rest are counted but not listed"),
  PAGE_PAYLOAD_CHECKSUM(INFO, "full-read mode: bytes of page payload read and their CRC32C"),

  // ---- xl save-file header and config
  XL_BAD_BYTE_ORDER(ERROR, "xl header byteorder is not 0x01020304 in little-endian"),
  XL_UNKNOWN_MANDATORY_FLAGS(ERROR, "xl mandatory_flags has bits other than JSON and STREAMv2"),
  XL_UNKNOWN_OPTIONAL_FLAGS(WARNING, "xl optional_flags has bits set; none are defined"),
  XL_NO_CONFIG(WARNING, "xl optional data too short to hold the config length"),
  XL_CONFIG_LENGTH(ERROR, "xl config_len exceeds optional_data_len - 4"),
  XL_CONFIG_TOO_LARGE(WARNING, "config larger than the audit's cap; not parsed"),
  XL_CONFIG_NOT_NUL_TERMINATED(ERROR, "JSON config does not end in NUL"),
  XL_CONFIG_INVALID(ERROR, "JSON config does not parse"),
  XL_CONFIG_TEXT(INFO, "config is xl config-file text (no JSON flag); fields read best-effort"),
  XL_EXTRA_OPTIONAL_DATA(WARNING, "bytes in xl optional data after the config"),
  LIBVIRT_BAD_VERSION(ERROR, "libvirt save image version is not 2 (v2 libxl stream)"),
  LIBVIRT_XML_TOO_LARGE(WARNING, "libvirt domain XML larger than the audit's cap; not parsed"),
  LIBVIRT_XML_INVALID(WARNING, "libvirt domain XML has no readable name/uuid"),
  LIBVIRT_HEADER_RESERVED(WARNING, "libvirt header padding is not zero"),
  CONFIG_TYPE_MISMATCH(ERROR, "config guest type disagrees with the libxc domain type"),
  CPUID_REQUEST_NOT_MET(WARNING, "a CPUID bit the config's cpuid= forces on is absent, or one it forces off is present"),
  MSR_REQUEST_NOT_MET(WARNING, "an MSR bit the config's cpuid= MSR list forces on is absent, or forced off is present"),
  POLICY_REQUEST_INVALID(WARNING, "the config's b_info.cpuid request is malformed; what can be read is compared"),

  // ---- libxl stream
  LIBXL_BAD_IDENT(ERROR, "xen: libxl header ident is not LibxlFmt"),
  LIBXL_BAD_VERSION(ERROR, "xen: libxl header version is not 2"),
  LIBXL_BIG_ENDIAN(ERROR, "libxl header says big-endian records; Xen reads little-endian only"),
  LIBXL_RESERVED_OPTIONS(ERROR, "xen (bits 2-15): libxl header reserved option bits set"),
  LEGACY_CONVERTED(INFO, "stream produced by convert-legacy-stream"),
  LEGACY_MARK_MISMATCH(WARNING, "libxl legacy bit and libxc xen_major == 0 disagree"),
  LIBXC_CONTEXT_MISSING(ERROR, "libxl stream has no LIBXC_CONTEXT before END"),
  LIBXC_CONTEXT_REPEATED(ERROR, "more than one LIBXC_CONTEXT"),
  LIBXC_CONTEXT_NOT_FIRST(ERROR, "LIBXC_CONTEXT is not the first libxl record"),
  EMULATOR_BAD_ID(ERROR, "xen: emulator_id is not 0, 1 or 2"),
  EMULATOR_INDEX_NONZERO(WARNING, "emulator index is not 0"),
  EMULATOR_UNKNOWN_ID(WARNING, "emulator_id 0 (unknown) outside a legacy-converted stream"),
  EMULATOR_NOT_HVM(ERROR, "emulator record in a PV stream"),
  EMULATOR_PVH(ERROR, "emulator record for a guest whose config says PVH: libxl refuses it"),
  XENSTORE_NOT_NUL_TERMINATED(ERROR, "xen: EMULATOR_XENSTORE_DATA does not end in NUL"),
  XENSTORE_ODD_STRINGS(ERROR, "xen: EMULATOR_XENSTORE_DATA holds an odd number of strings"),
  XENSTORE_BAD_KEY(WARNING, "xenstore key outside [A-Za-z0-9-/_@] or empty"),
  EMULATOR_CONTEXT_NO_QEVM(WARNING, "qemu-upstream EMULATOR_CONTEXT does not start with QEVM"),
  CHECKPOINT_END_UNEXPECTED(ERROR, "CHECKPOINT_END outside a checkpoint"),
  CHECKPOINT_END_MISSING(ERROR, "libxl END or libxc records where CHECKPOINT_END was due"),
  CHECKPOINT_STATE_IN_STREAM(ERROR, "CHECKPOINT_STATE belongs to the COLO back channel only"),

  // ---- any record
  RECORD_TOO_LONG(ERROR, "libxc record length above 128 MiB (REC_LENGTH_MAX); one past the input is TRUNCATED"),
  RECORD_LENGTH(ERROR, "xen: record length breaks the rule for its type"),
  RECORD_PADDING_NONZERO(ERROR, "xen: record padding is not zero"),
  RECORD_RESERVED_NONZERO(ERROR, "xen: a reserved field in a record body is not zero"),
  UNKNOWN_MANDATORY_RECORD(ERROR, "xen: unknown record type without the optional bit"),
  UNKNOWN_OPTIONAL_RECORD(WARNING, "unknown record type with the optional bit: skipped (spec)"),

  // ---- libxc headers
  LIBXC_BAD_MARKER(ERROR, "xen: libxc image header marker is not all ones"),
  LIBXC_BAD_ID(ERROR, "xen: libxc image header id is not XENF"),
  LIBXC_BAD_VERSION(ERROR, "xen: libxc image header version is not 2 or 3"),
  LIBXC_BIG_ENDIAN(ERROR, "libxc image header says big-endian; Xen reads little-endian only"),
  LIBXC_RESERVED_OPTIONS(ERROR, "xen: libxc image header option bits 1-15 set"),
  LIBXC_HEADER_RESERVED(ERROR, "xen: libxc image header reserved fields not zero"),
  DOMAIN_BAD_TYPE(ERROR, "xen: domain header type is not 1 (x86 PV) or 2 (x86 HVM)"),
  DOMAIN_BAD_PAGE_SHIFT(ERROR, "xen: domain header page_shift is not 12"),
  DOMAIN_HEADER_RESERVED(ERROR, "xen: domain header reserved field not zero"),
  XEN_VERSION_MISMATCH(WARNING, "stream version does not fit the producing Xen version"),

  // ---- libxc record placement
  RECORD_V3_ONLY(ERROR, "xen: record type exists only in v3 streams"),
  RECORD_WRONG_GUEST_TYPE(ERROR, "record type does not belong to this guest type"),
  STATIC_DATA_END_MISSING(ERROR, "v3: memory or P2M records before STATIC_DATA_END"),
  STATIC_DATA_END_REPEATED(ERROR, "more than one STATIC_DATA_END"),
  STATIC_RECORD_LATE(ERROR, "policy or X86_PV_INFO after STATIC_DATA_END: never applied"),
  DUPLICATE_RECORD(ERROR, "a record that may appear once (per checkpoint) appears again"),
  RECORD_OUT_OF_ORDER(ERROR, "record before the record it depends on"),
  RECORD_MISSING(ERROR, "a required record is absent"),
  TOOLSTACK_RECORD(ERROR, "deprecated TOOLSTACK record (Xen's verifier dies on it)"),
  DIRTY_PFN_LIST_IN_STREAM(ERROR, "xen: CHECKPOINT_DIRTY_PFN_LIST belongs to the COLO back channel"),
  CHECKPOINTED_STREAM(INFO, "Remus/COLO checkpointed stream"),
  CHECKPOINT_INCOMPLETE(WARNING, "checkpointed stream stops inside a checkpoint; last one is used"),
  VERIFY_REPEATED(ERROR, "more than one VERIFY record"),
  EMPTY_RECORD(INFO, "data record with no content (Xen 4.6-4.8 erratum); ignored"),

  // ---- libxc record contents
  PAGE_DATA_COUNT_ZERO(ERROR, "PAGE_DATA count is 0"),
  PAGE_DATA_BAD_TYPE(ERROR, "xen: PAGE_DATA type nibble 5-8 (invalid)"),
  PAGE_DATA_PFN_RESERVED(ERROR, "xen: PAGE_DATA pfn bits 52-59 not zero"),
  PAGE_DATA_BATCH_TOO_LARGE(WARNING, "PAGE_DATA batch above the saver's 1024 pages"),
  PAGE_DATA_DUPLICATE_PFN(WARNING, "same PFN twice in one PAGE_DATA record"),
  PAGE_TABLE_IN_HVM(WARNING, "PV page-table type in an HVM stream"),
  PFN_OUT_OF_RANGE(ERROR, "PV PFN above the P2M end"),
  PV_INFO_BAD_WIDTH(ERROR, "xen: X86_PV_INFO guest_width is not 4 or 8"),
  PV_INFO_BAD_LEVELS(ERROR, "xen: X86_PV_INFO pt_levels is not 3 or 4"),
  PV_INFO_BAD_COMBINATION(ERROR, "X86_PV_INFO (width, levels) is not (4,3) or (8,4)"),
  P2M_BAD_RANGE(ERROR, "X86_PV_P2M_FRAMES start > end"),
  VCPU_BAD_SIZE(ERROR, "PV vCPU blob size wrong for its kind and guest width"),
  VCPU_ID_RANGE(ERROR, "vcpu_id not below the config's max_vcpus"),
  XSAVE_XCR0_NOT_SUBSET(ERROR, "X86_PV_VCPU_XSAVE xcr0 not a subset of xcr0_accum (-EINVAL on restore)"),
  TSC_BAD_MODE(ERROR, "X86_TSC_INFO mode not 0-3 (-EINVAL on restore)"),
  TSC_ZERO_KHZ(WARNING, "X86_TSC_INFO khz is 0"),
  HVM_CONTEXT_BAD_CHAIN(ERROR, "HVM_CONTEXT descriptor chain broken"),
  HVM_CONTEXT_UNKNOWN_TYPE(ERROR, "HVM_CONTEXT typecode Xen has no handler for (-EINVAL on restore)"),
  HVM_PARAMS_EMPTY(WARNING, "HVM_PARAMS count is 0"),
  HVM_PARAMS_BAD_INDEX(ERROR, "HVM_PARAMS index >= HVM_NR_PARAMS (39)"),
  HVM_PARAMS_UNEXPECTED_INDEX(WARNING, "HVM_PARAMS index not one the saver sends"),
  HVM_PARAMS_DUPLICATE(WARNING, "HVM_PARAMS index repeated"),

  // ---- CPUID / MSR policy
  CPUID_DUPLICATE_LEAF(ERROR, "CPUID (leaf, subleaf) repeated"),
  CPUID_UNSORTED(WARNING, "CPUID leaves not in ascending (leaf, subleaf) order"),
  CPUID_LEAF_OUT_OF_RANGE(ERROR, "CPUID (leaf, subleaf) Xen's deserialiser rejects (-ERANGE)"),
  CPUID_TOO_MANY_LEAVES(ERROR, "more CPUID leaves than Xen serialises (120)"),
  CPUID_HYPERVISOR_LEAF(WARNING, "hypervisor leaf with more than a u8 in eax"),
  CPUID_MAX_LEAF_MISMATCH(WARNING, "max leaf in leaf 0 / 0x80000000 disagrees with leaves present"),
  CPUID_UNKNOWN_VENDOR(WARNING, "leaf 0 vendor string is not a known x86 vendor"),
  MSR_FLAGS_NONZERO(ERROR, "MSR policy entry flags not zero"),
  MSR_UNKNOWN_INDEX(ERROR, "MSR policy index not 0xCE or 0x10A (-ERANGE)"),
  MSR_DUPLICATE(ERROR, "MSR policy index repeated"),
  MSR_UNSORTED(WARNING, "MSR policy not in ascending index order"),
  MSR_TOO_MANY(ERROR, "more MSR policy entries than Xen serialises"),
  MSR_VALUE_TOO_WIDE(ERROR, "PLATFORM_INFO value does not fit 32 bits (-EOVERFLOW)"),
  MSR_UNKNOWN_BITS(WARNING, "MSR policy value has bits with no known meaning");

  private final Severity severity;
  private final String summary;

  FindingCode(Severity severity, String summary) {
    this.severity = severity;
    this.summary = summary;
  }

  public Severity severity() {
    return severity;
  }

  /** One line for documentation; "xen:" means Xen's verifier checks this too. */
  public String summary() {
    return summary;
  }
}
