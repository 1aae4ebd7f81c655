package xenaudit.pipeline;

import java.io.IOException;
import java.util.List;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import xenaudit.transforms.AuditTables;

/** Checks --previousOutput is an audit output before the job starts (drift reads its cpuid_features). */
final class PreviousOutput {
  private PreviousOutput() {}

  static void check(String dir) throws IOException {
    for (String table : List.of(AuditTables.STREAMS, AuditTables.CPUID_FEATURES)) {
      String pattern = AuditTables.directory(dir, table) + "*.parquet";
      MatchResult m;
      try {
        m = FileSystems.match(List.of(pattern), EmptyMatchTreatment.ALLOW).get(0);
      } catch (IOException e) {
        throw new IllegalArgumentException("--previousOutput " + dir + " cannot be listed: " + AuditPipeline.rootCause(e), e);
      }
      if (m.status() != MatchResult.Status.OK || m.metadata().isEmpty()) {
        throw new IllegalArgumentException("--previousOutput " + dir + " is not an audit output: it has no "
            + table + "/*.parquet (give the --output of an earlier xenaudit run)");
      }
    }
  }
}
