package xenaudit.format;

/**
 * Limits and modes of one read. Defaults suit a fleet audit; every cap bounds memory, never
 * correctness of the framing.
 *
 * @param maxConfigBytes largest xl config / libvirt XML parsed (bigger ones are skipped with a
 *     finding)
 * @param maxFindings findings listed per image (all are counted)
 * @param maxPolicyEntries CPUID leaves or MSR entries kept per record (Xen itself allows 120 and 2)
 * @param readPagePayload read every page payload byte and checksum it (CRC32C) instead of skipping
 *     it: end-to-end integrity of the archive, at the cost of reading the whole image
 */
public record ReadOptions(int maxConfigBytes, int maxFindings, int maxPolicyEntries, boolean readPagePayload) {
  public static final ReadOptions DEFAULTS = new ReadOptions(16 << 20, 1000, 4096, false);

  public ReadOptions(int maxConfigBytes, int maxFindings, int maxPolicyEntries) {
    this(maxConfigBytes, maxFindings, maxPolicyEntries, false);
  }

  public ReadOptions withReadPagePayload(boolean read) {
    return new ReadOptions(maxConfigBytes, maxFindings, maxPolicyEntries, read);
  }

  public ReadOptions withMaxFindings(int n) {
    return new ReadOptions(maxConfigBytes, n, maxPolicyEntries, readPagePayload);
  }

  public ReadOptions {
    if (maxConfigBytes < 0 || maxFindings < 1 || maxPolicyEntries < 1) {
      throw new IllegalArgumentException(
          "caps must be positive: maxConfigBytes="
              + maxConfigBytes
              + " maxFindings="
              + maxFindings
              + " maxPolicyEntries="
              + maxPolicyEntries);
    }
  }
}
