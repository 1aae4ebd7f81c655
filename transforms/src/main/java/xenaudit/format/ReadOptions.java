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
 * @param seekThreshold on a seekable channel, skips shorter than this are read through rather than
 *     seeked: 0 for local files (a seek is free), about a megabyte for object storage (where a seek
 *     is a new ranged request)
 */
public record ReadOptions(
    int maxConfigBytes, int maxFindings, int maxPolicyEntries, boolean readPagePayload, long seekThreshold) {
  public static final ReadOptions DEFAULTS = new ReadOptions(16 << 20, 1000, 4096, false, 0);

  public ReadOptions(int maxConfigBytes, int maxFindings, int maxPolicyEntries) {
    this(maxConfigBytes, maxFindings, maxPolicyEntries, false, 0);
  }

  public ReadOptions withReadPagePayload(boolean read) {
    return new ReadOptions(maxConfigBytes, maxFindings, maxPolicyEntries, read, seekThreshold);
  }

  public ReadOptions withMaxFindings(int n) {
    return new ReadOptions(maxConfigBytes, n, maxPolicyEntries, readPagePayload, seekThreshold);
  }

  public ReadOptions withSeekThreshold(long bytes) {
    return new ReadOptions(maxConfigBytes, maxFindings, maxPolicyEntries, readPagePayload, bytes);
  }

  public ReadOptions {
    if (maxConfigBytes < 0 || maxFindings < 1 || maxPolicyEntries < 1 || seekThreshold < 0) {
      throw new IllegalArgumentException(
          "caps must be positive: maxConfigBytes="
              + maxConfigBytes
              + " maxFindings="
              + maxFindings
              + " maxPolicyEntries="
              + maxPolicyEntries
              + " seekThreshold="
              + seekThreshold);
    }
  }
}
