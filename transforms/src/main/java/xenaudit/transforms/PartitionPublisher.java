package xenaudit.transforms;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.io.FileSystems;

/**
 * Puts one audit date's staged files in place: {@code <output>/<folder>/audit_date=D/}, for every
 * folder it is given ({@link AuditTables#FOLDERS}, or only the baselines and the report when the
 * tables are Iceberg tables). A folder with staged files gets exactly them; a folder
 * without (a table this run does not produce) loses that date's partition. Other dates are never
 * touched. How readers are kept from a half-written partition depends on the filesystem:
 * see {@link LocalPartitions} (rename) and {@link ObjectStorePartitions} (copy, then delete).
 */
interface PartitionPublisher {
  /** A staged file and its name in the partition. */
  record Staged(String path, String name) {}

  /** @param folders the folders this publish manages (a subset of {@link AuditTables#FOLDERS}) */
  void publish(String auditDate, List<String> folders, Map<String, List<Staged>> staged) throws IOException;

  /** The publisher for where {@code output} lives. */
  static PartitionPublisher of(String output, String tempDirectory) {
    return isLocal(output)
        ? new LocalPartitions(LocalPartitions.path(output), LocalPartitions.path(tempDirectory))
        : new ObjectStorePartitions(output, tempDirectory);
  }

  static boolean isLocal(String output) {
    return "file".equals(FileSystems.matchNewResource(AuditTables.folder(output), true).getScheme());
  }
}
