package xenaudit.pipeline;

import java.io.IOException;
import java.util.List;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import xenaudit.iceberg.IcebergCatalog;
import xenaudit.iceberg.IcebergSettings;
import xenaudit.transforms.AuditTables;
import xenaudit.transforms.ComputeDrift;

/**
 * Which earlier audit drift compares with: a date partition of an output's {@code cpuid_features},
 * found before the job starts (so a wrong path is an error before any image is read).
 *
 * With Iceberg tables, the date is the newest one the current snapshots of {@code streams} and
 * {@code cpuid_features} both have, and drift reads exactly that snapshot's files of the date.
 *
 * @param root the earlier run's output
 * @param auditDate the date of its partition that is read
 * @param icebergFiles the cpuid_features data files of that date when the earlier output is Iceberg
 *     tables, else null
 */
record PreviousOutput(String root, String auditDate, List<String> icebergFiles) {
  static final String AUTO = "auto";

  /** The cpuid_features partition drift reads (Parquet layout). */
  String features() {
    return AuditTables.partition(root, AuditTables.CPUID_FEATURES, auditDate);
  }

  /** The drift step, reading the earlier features from wherever they are. */
  ComputeDrift drift(String tempDirectory) {
    return icebergFiles == null ? ComputeDrift.against(features(), tempDirectory)
        : ComputeDrift.againstFiles(icebergFiles, tempDirectory);
  }

  /**
   * --previousOutput for a run writing Iceberg tables: {@code auto} reads this output's catalog; a
   * path reads the Iceberg tables under it, or its Parquet folders when it has no Iceberg tables
   * (an output written before the switch).
   */
  static PreviousOutput resolve(String option, String output, String auditDate, IcebergSettings iceberg)
      throws IOException {
    boolean auto = option.equals(AUTO);
    String root = auto ? output : option;
    IcebergSettings where = auto ? iceberg : IcebergSettings.of(null, iceberg.namespace(), List.of());
    boolean sameOutput = auto || AuditTables.directory(root, "").equals(AuditTables.directory(output, ""));
    try (IcebergCatalog catalog = IcebergCatalog.open(where, root)) {
      if (!auto && catalog.load(AuditTables.STREAMS) == null) {
        return resolve(option, output, auditDate);
      }
      String newest = null;
      for (String table : List.of(AuditTables.STREAMS, AuditTables.CPUID_FEATURES)) {
        String newestHere = null;
        for (String date : catalog.dates(table)) {
          if (!sameOutput || date.compareTo(auditDate) < 0) {
            newestHere = date;
          }
        }
        if (newestHere == null) {
          if (auto) {
            return null;
          }
          throw new IllegalArgumentException("--previousOutput " + root + " has no Iceberg table " + table
              + " with a date" + (sameOutput ? " earlier than " + auditDate : ""));
        }
        newest = newest == null || newestHere.compareTo(newest) < 0 ? newestHere : newest;
      }
      return new PreviousOutput(root, newest, catalog.files(AuditTables.CPUID_FEATURES, newest));
    } catch (RuntimeException e) {
      if (e instanceof IllegalArgumentException) {
        throw e;
      }
      throw new IllegalArgumentException("--previousOutput " + root + ": its Iceberg tables cannot be read: "
          + AuditPipeline.rootCause(e), e);
    }
  }

  /**
   * @param option --previousOutput: {@code auto} or an earlier run's output
   * @return the partition to read; null for {@code auto} when no earlier date exists yet (a first run)
   */
  static PreviousOutput resolve(String option, String output, String auditDate) throws IOException {
    boolean auto = option.equals(AUTO);
    String root = auto ? output : option;
    boolean sameOutput = auto || AuditTables.directory(root, "").equals(AuditTables.directory(output, ""));
    String newest = null;
    for (String table : List.of(AuditTables.STREAMS, AuditTables.CPUID_FEATURES)) {
      String pattern = AuditTables.directory(root, table) + AuditTables.DATE_KEY + "=*/*.parquet";
      MatchResult m;
      try {
        m = FileSystems.match(List.of(pattern), EmptyMatchTreatment.ALLOW).get(0);
      } catch (IOException e) {
        throw new IllegalArgumentException("--previousOutput " + root + " cannot be listed: " + AuditPipeline.rootCause(e), e);
      }
      String newestHere = null;
      if (m.status() == MatchResult.Status.OK) {
        for (MatchResult.Metadata f : m.metadata()) {
          String date = dateOf(f.resourceId().toString());
          if (date != null && (!sameOutput || date.compareTo(auditDate) < 0)
              && (newestHere == null || date.compareTo(newestHere) > 0)) {
            newestHere = date;
          }
        }
      }
      if (newestHere == null) {
        if (auto) {
          return null;
        }
        throw new IllegalArgumentException("--previousOutput " + root + " is not an audit output: it has no "
            + table + "/" + AuditTables.DATE_KEY + "=*/*.parquet" + (sameOutput ? " earlier than " + auditDate : "")
            + " (give the --output of an earlier xenaudit run, or auto)");
      }
      newest = newest == null || newestHere.compareTo(newest) < 0 ? newestHere : newest;
    }
    return new PreviousOutput(root, newest, null);
  }

  /** The YYYY-MM-DD of {@code .../audit_date=YYYY-MM-DD/file}, or null. */
  static String dateOf(String path) {
    String key = "/" + AuditTables.DATE_KEY + "=";
    int at = path.lastIndexOf(key);
    if (at < 0) {
      return null;
    }
    int end = path.indexOf('/', at + key.length());
    String date = end < 0 ? null : path.substring(at + key.length(), end);
    return date != null && AuditDate.valid(date) ? date : null;
  }
}
