package xenaudit.transforms;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.MoveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;

/**
 * Publishing on an object store (s3://, gs://), which has no rename, of a folder or of anything:
 * the staged objects are copied into the partition under names that carry the run id (so no copy
 * overwrites an object of the run before), then the partition's other objects are deleted.
 *
 * <p>So at every moment the previous run's complete files are there until the new run's are
 * all there; for the seconds between the last copy and the last delete a reader listing the
 * partition sees both (the run id is in each file name and in {@code streams.audit_run_id}). A run
 * killed in between leaves both; rerunning the date removes every file not its own. A manifest
 * read by a table format (Iceberg, Delta) would make the switch atomic, but plain Parquet readers
 * (DuckDB, Spark, Trino over Hive partitions) would not read it.
 */
final class ObjectStorePartitions implements PartitionPublisher {
  private final String output;
  private final String temp;

  ObjectStorePartitions(String output, String temp) {
    this.output = output;
    this.temp = temp;
  }

  @Override
  public void publish(String auditDate, List<String> folders, Map<String, List<Staged>> staged) throws IOException {
    for (String folder : folders) {
      String live = AuditTables.partition(output, folder, auditDate);
      List<ResourceId> before = matches(live + "*");
      List<Staged> files = staged.getOrDefault(folder, List.of());
      List<ResourceId> from = new ArrayList<>();
      List<ResourceId> to = new ArrayList<>();
      Set<String> kept = new HashSet<>();
      for (Staged f : files) {
        from.add(FileSystems.matchNewResource(f.path(), false));
        ResourceId dst = FileSystems.matchNewResource(live + f.name(), false);
        to.add(dst);
        kept.add(dst.toString());
      }
      if (!from.isEmpty()) {
        FileSystems.copy(from, to);
      }
      List<ResourceId> old = before.stream().filter(r -> !kept.contains(r.toString())).toList();
      if (!old.isEmpty()) {
        FileSystems.delete(old, MoveOptions.StandardMoveOptions.IGNORE_MISSING_FILES);
      }
    }
    updateLatestReport();
    List<ResourceId> tempFiles = matches(temp + "**");
    if (!tempFiles.isEmpty()) {
      FileSystems.delete(tempFiles, MoveOptions.StandardMoveOptions.IGNORE_MISSING_FILES);
    }
  }

  private void updateLatestReport() throws IOException {
    String reports = AuditTables.directory(output, AuditTables.REPORT);
    ResourceId newest = null;
    for (ResourceId r : matches(reports + AuditTables.DATE_KEY + "=*/" + AuditTables.REPORT_PAGE)) {
      if (newest == null || r.toString().compareTo(newest.toString()) > 0) {
        newest = r;
      }
    }
    ResourceId latest = FileSystems.matchNewResource(reports + AuditTables.LATEST_REPORT, false);
    if (newest != null) {
      FileSystems.copy(List.of(newest), List.of(latest));
    } else {
      FileSystems.delete(List.of(latest), MoveOptions.StandardMoveOptions.IGNORE_MISSING_FILES);
    }
  }

  static List<ResourceId> matches(String pattern) throws IOException {
    MatchResult m = FileSystems.match(List.of(pattern), EmptyMatchTreatment.ALLOW).get(0);
    List<ResourceId> out = new ArrayList<>();
    if (m.status() == MatchResult.Status.OK) {
      for (MatchResult.Metadata x : m.metadata()) {
        out.add(x.resourceId());
      }
    }
    return out;
  }
}
