package xenaudit.pipeline;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import xenaudit.policy.PolicyTextException;
import xenaudit.policy.TargetPolicy;

/** Reads and parses --targetPolicy before the job starts: a bad file is a one-line error, not a failed job. */
final class TargetPolicies {
  /** A host dump is a few KiB; anything near this is not a policy file. */
  static final int MAX_BYTES = 1 << 20;

  private TargetPolicies() {}

  static TargetPolicy read(String location) throws IOException {
    MatchResult m = FileSystems.match(List.of(location), EmptyMatchTreatment.ALLOW).get(0);
    if (m.status() != MatchResult.Status.OK || m.metadata().isEmpty()) {
      throw new IllegalArgumentException("--targetPolicy " + location + " does not exist");
    }
    MatchResult.Metadata file = m.metadata().get(0);
    if (file.sizeBytes() > MAX_BYTES) {
      throw new IllegalArgumentException("--targetPolicy " + location + " has " + file.sizeBytes()
          + " bytes; a xen-cpuid -p policy is a few KiB (at most " + MAX_BYTES + ")");
    }
    String text;
    try (InputStream in = Channels.newInputStream(FileSystems.open(file.resourceId()))) {
      text = new String(in.readNBytes(MAX_BYTES), StandardCharsets.UTF_8);
    }
    String name = location.substring(location.lastIndexOf('/') + 1);
    try {
      return TargetPolicy.parse(name, text);
    } catch (PolicyTextException e) {
      throw new IllegalArgumentException("--targetPolicy " + location + ": " + e.getMessage(), e);
    }
  }
}
