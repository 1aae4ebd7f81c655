package xenaudit.transforms;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import java.io.Serializable;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.apache.beam.sdk.io.Compression;
import xenaudit.policy.TargetPolicy;

/**
 * Everything one audit is asked to do, as one immutable value: the pipeline's options become this
 * once, and {@link AuditImages} and {@link ParseImageFn} read it instead of a growing list of
 * parallel arguments. {@code withX} returns a copy.
 *
 * @param compression AUTO picks the decompressor from the extension
 * @param auditRunId written to {@code streams.audit_run_id}
 * @param maxFindings findings listed per image (all are counted)
 * @param readPagePayload read and checksum every page instead of skipping page payload
 * @param seekThreshold skips shorter than this read through; -1 = 0 for local files, 1 MiB remote
 * @param parseThreads images a parsing DoFn instance audits at once on threads of its own
 * @param spreadBuckets random keys images are spread over (0 = one per image)
 * @param poolKey regex over source_uri whose group 1 names the guest's pool; null = no pools
 * @param target the migration target (a parsed {@code xen-cpuid -p} file); null = no check
 * @param drift whether rows for the drift comparison with an earlier run are produced
 */
public record AuditSettings(
    Compression compression,
    String auditRunId,
    int maxFindings,
    boolean readPagePayload,
    long seekThreshold,
    int parseThreads,
    int spreadBuckets,
    String poolKey,
    TargetPolicy target,
    boolean drift)
    implements Serializable {

  public static final AuditSettings DEFAULTS =
      new AuditSettings(Compression.AUTO, "", 1000, false, -1, 1, 0, null, null, false);

  public AuditSettings {
    checkArgument(compression != null, "compression is required");
    checkArgument(auditRunId != null, "auditRunId is required (may be empty)");
    checkArgument(maxFindings >= 1, "maxFindingsPerImage must be at least 1, got %s", maxFindings);
    checkArgument(seekThreshold >= -1, "seekThreshold must be -1 (auto) or more, got %s", seekThreshold);
    checkArgument(parseThreads >= 1, "parseThreads must be at least 1, got %s", parseThreads);
    checkArgument(spreadBuckets >= 0, "spreadBuckets must be 0 or more, got %s", spreadBuckets);
    if (poolKey != null) {
      poolPattern(poolKey);
    }
  }

  /**
   * Compiles a --poolKey: a Java regex with at least one capture group (group 1 is the pool).
   *
   * @throws IllegalArgumentException saying what is wrong with it, in one line
   */
  public static Pattern poolPattern(String regex) {
    Pattern p;
    try {
      p = Pattern.compile(regex);
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException(
          "--poolKey " + regex + " is not a Java regex: " + e.getDescription() + " near index " + e.getIndex(), e);
    }
    if (p.matcher("").groupCount() < 1) {
      throw new IllegalArgumentException("--poolKey " + regex + " has no capture group: group 1 names the pool");
    }
    return p;
  }

  public AuditSettings withCompression(Compression c) {
    return new AuditSettings(c, auditRunId, maxFindings, readPagePayload, seekThreshold, parseThreads, spreadBuckets,
        poolKey, target, drift);
  }

  public AuditSettings withAuditRunId(String id) {
    return new AuditSettings(compression, id, maxFindings, readPagePayload, seekThreshold, parseThreads, spreadBuckets,
        poolKey, target, drift);
  }

  public AuditSettings withMaxFindings(int n) {
    return new AuditSettings(compression, auditRunId, n, readPagePayload, seekThreshold, parseThreads, spreadBuckets,
        poolKey, target, drift);
  }

  public AuditSettings withReadPagePayload(boolean read) {
    return new AuditSettings(compression, auditRunId, maxFindings, read, seekThreshold, parseThreads, spreadBuckets,
        poolKey, target, drift);
  }

  public AuditSettings withSeekThreshold(long bytes) {
    return new AuditSettings(compression, auditRunId, maxFindings, readPagePayload, bytes, parseThreads, spreadBuckets,
        poolKey, target, drift);
  }

  public AuditSettings withParseThreads(int n) {
    return new AuditSettings(compression, auditRunId, maxFindings, readPagePayload, seekThreshold, n, spreadBuckets,
        poolKey, target, drift);
  }

  public AuditSettings withSpreadBuckets(int n) {
    return new AuditSettings(compression, auditRunId, maxFindings, readPagePayload, seekThreshold, parseThreads, n,
        poolKey, target, drift);
  }

  public AuditSettings withPoolKey(String regex) {
    return new AuditSettings(compression, auditRunId, maxFindings, readPagePayload, seekThreshold, parseThreads,
        spreadBuckets, regex, target, drift);
  }

  public AuditSettings withTarget(TargetPolicy t) {
    return new AuditSettings(compression, auditRunId, maxFindings, readPagePayload, seekThreshold, parseThreads,
        spreadBuckets, poolKey, t, drift);
  }

  public AuditSettings withDrift(boolean d) {
    return new AuditSettings(compression, auditRunId, maxFindings, readPagePayload, seekThreshold, parseThreads,
        spreadBuckets, poolKey, target, d);
  }
}
