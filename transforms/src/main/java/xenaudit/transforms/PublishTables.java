package xenaudit.transforms;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.parquet.ParquetIO;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.util.MimeTypes;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PDone;
import org.apache.parquet.io.InputFile;
import xenaudit.iceberg.IcebergCatalog;
import xenaudit.iceberg.IcebergCommit;
import xenaudit.iceberg.IcebergSettings;
import xenaudit.report.ComplianceReport;
import xenaudit.report.ReportHeader;

/**
 * Once every file of the job is written (their names arrive here, all under one key), publishes
 * them as one audit date's partitions: {@code <output>/<table>/audit_date=D/<table>-<run>-NNNNN-of-MMMMM.parquet},
 * {@code <output>/baselines/audit_date=D/<pool>.txt}. A table of this run with no rows gets one
 * empty file with its schema, so queries over it work; a table this run does not produce (no
 * --targetPolicy this time, say) loses that date's partition: a date holds one run's output,
 * never a mix. Other dates are left as they are. {@link PartitionPublisher} does the switch.
 */
public class PublishTables extends PTransform<PCollection<KV<String, String>>, PDone> {
  private final String output;
  private final String tempDirectory;
  private final String auditDate;
  private final String runId;
  private final List<String> tables;
  private final ReportOptions report;
  private final IcebergSettings iceberg;

  private PublishTables(String output, String tempDirectory, String auditDate, String runId, List<String> tables,
      ReportOptions report, IcebergSettings iceberg) {
    this.output = output;
    this.tempDirectory = tempDirectory;
    this.auditDate = auditDate;
    this.runId = runId;
    this.tables = tables;
    this.report = report;
    this.iceberg = iceberg;
  }

  /** @param tables the tables this run produces (others lose the date's partition) */
  public static PublishTables to(String output, String tempDirectory, String auditDate, String runId,
      List<String> tables) {
    return new PublishTables(output, tempDirectory, auditDate, runId, List.copyOf(tables), null, null);
  }

  /**
   * Commits the tables as Iceberg tables instead ({@link IcebergCommit}): one snapshot per table
   * replaces the date; the baselines and the report are still published as folders under the output.
   */
  public PublishTables asIceberg(IcebergSettings settings) {
    return new PublishTables(output, tempDirectory, auditDate, runId, tables, report, settings);
  }

  /**
   * Also publishes the HTML report of the run's tables, {@code report/audit_date=D/index.html}
   * (and {@code report/latest.html} for the newest date); the arguments are what its header says.
   */
  public PublishTables withReport(String target, String previousAuditDate, String poolKey) {
    return new PublishTables(output, tempDirectory, auditDate, runId, tables,
        new ReportOptions(target, previousAuditDate, poolKey), iceberg);
  }

  /** What the report's header says besides the run itself; any may be null. */
  record ReportOptions(String target, String previousAuditDate, String poolKey) implements java.io.Serializable {}

  /** Where a run writes its files before they are published: under the output, one folder per run. */
  public static String tempDirectory(String output, String runId) {
    return AuditTables.folder(output) + TEMP_FOLDER + AuditTables.fileName(runId) + "/";
  }

  /**
   * Finishes publishing for runs that were killed in the middle of it (local outputs; see {@link
   * LocalPartitions}). Call before a run starts.
   *
   * @return how many were finished
   */
  public static int recoverInterrupted(String output) throws IOException {
    return PartitionPublisher.isLocal(output) ? LocalPartitions.recover(output) : 0;
  }

  /** The same for Iceberg tables: commits of runs killed after their journal ({@link IcebergCommit#recover}). */
  public static int recoverInterrupted(String output, IcebergSettings iceberg) throws IOException {
    int n = recoverInterrupted(output);
    try (IcebergCatalog catalog = IcebergCatalog.open(iceberg, output)) {
      return n + IcebergCommit.recover(catalog, AuditTables.folder(output) + TEMP_FOLDER, folderPublisher(output));
    }
  }

  /** The report and baselines of an Iceberg run, published as folders under the output. */
  private static IcebergCommit.FolderPublisher folderPublisher(String output) {
    return (auditDate, tempDirectory, folders) -> {
      Map<String, List<PartitionPublisher.Staged>> staged = new TreeMap<>();
      folders.forEach((folder, moves) -> staged.put(folder,
          moves.stream().map(m -> new PartitionPublisher.Staged(m.staged(), m.target())).toList()));
      PartitionPublisher.of(output, tempDirectory).publish(auditDate, new ArrayList<>(folders.keySet()), staged);
    };
  }

  static final String TEMP_FOLDER = ".xenaudit-temp/";

  @Override
  public PDone expand(PCollection<KV<String, String>> files) {
    files
        .apply("OneKey", WithKeys.of(""))
        .apply("AllFiles", GroupByKey.create())
        .apply("MoveIntoPlace", ParDo.of(new PublishFn(output, tempDirectory, auditDate, runId, tables, report, iceberg)));
    return PDone.in(files.getPipeline());
  }

  static class PublishFn extends DoFn<KV<String, Iterable<KV<String, String>>>, Void> {
    private final String output;
    private final String tempDirectory;
    private final String auditDate;
    private final String runId;
    private final List<String> tables;
    private final ReportOptions report;
    private final IcebergSettings iceberg;

    PublishFn(String output, String tempDirectory, String auditDate, String runId, List<String> tables,
        ReportOptions report, IcebergSettings iceberg) {
      this.output = output;
      this.tempDirectory = tempDirectory;
      this.auditDate = auditDate;
      this.runId = runId;
      this.tables = tables;
      this.report = report;
      this.iceberg = iceberg;
    }

    @ProcessElement
    public void process(@Element KV<String, Iterable<KV<String, String>>> all) throws IOException {
      // A set: a retried bundle may name its file again (baselines are named by pool).
      Map<String, TreeSet<String>> byFolder = new TreeMap<>();
      for (KV<String, String> f : all.getValue()) {
        byFolder.computeIfAbsent(f.getKey(), t -> new TreeSet<>()).add(f.getValue());
      }
      if (iceberg != null) {
        commitIceberg(byFolder);
        return;
      }
      Map<String, List<PartitionPublisher.Staged>> staged = new TreeMap<>();
      String run = AuditTables.fileName(runId);
      for (String table : tables) {
        List<String> parts = new ArrayList<>(byFolder.getOrDefault(table, new TreeSet<>()));
        if (parts.isEmpty()) {
          String empty = tempDirectory + "empty/" + table + ".parquet";
          writeEmpty(table, empty);
          parts.add(empty);
        }
        List<PartitionPublisher.Staged> named = new ArrayList<>();
        for (int i = 0; i < parts.size(); i++) {
          named.add(new PartitionPublisher.Staged(parts.get(i),
              String.format("%s-%s-%05d-of-%05d.parquet", table, run, i, parts.size())));
        }
        staged.put(table, named);
      }
      if (byFolder.containsKey(AuditTables.BASELINES)) {
        List<PartitionPublisher.Staged> named = new ArrayList<>();
        for (String f : byFolder.get(AuditTables.BASELINES)) {
          named.add(new PartitionPublisher.Staged(f, f.substring(f.lastIndexOf('/') + 1)));
        }
        staged.put(AuditTables.BASELINES, named);
      }
      if (report != null) {
        Map<String, List<String>> files = new TreeMap<>();
        for (String table : tables) {
          files.put(table, staged.get(table).stream().map(PartitionPublisher.Staged::path).toList());
        }
        staged.put(AuditTables.REPORT, List.of(new PartitionPublisher.Staged(writeReport(files),
            AuditTables.REPORT_PAGE)));
      }
      PartitionPublisher.of(output, tempDirectory).publish(auditDate, AuditTables.FOLDERS, staged);
    }

    /**
     * The tables as one Iceberg commit of the date; then the report, built from exactly the files
     * the commit lists for the date, and the baselines, published as folders. Both are in the
     * commit's journal, so a run killed after it gets them published with its tables.
     */
    private void commitIceberg(Map<String, TreeSet<String>> byFolder) throws IOException {
      String run = AuditTables.fileName(runId);
      Map<String, List<IcebergCommit.Staged>> staged = new TreeMap<>();
      for (String table : tables) {
        List<String> parts = new ArrayList<>(byFolder.getOrDefault(table, new TreeSet<>()));
        List<IcebergCommit.Staged> named = new ArrayList<>();
        for (int i = 0; i < parts.size(); i++) {
          named.add(new IcebergCommit.Staged(parts.get(i),
              String.format("%s-%s-%05d-of-%05d.parquet", table, run, i, parts.size())));
        }
        staged.put(table, named);
      }
      try (IcebergCatalog catalog = IcebergCatalog.open(iceberg, output)) {
        IcebergCommit commit = IcebergCommit.plan(catalog, runId, auditDate, staged, AuditTables.ALL, AuditTables.STREAMS);
        Map<String, List<IcebergCommit.Move>> folders = new TreeMap<>();
        List<IcebergCommit.Move> baselines = new ArrayList<>();
        for (String f : byFolder.getOrDefault(AuditTables.BASELINES, new TreeSet<>())) {
          baselines.add(new IcebergCommit.Move(f, f.substring(f.lastIndexOf('/') + 1)));
        }
        folders.put(AuditTables.BASELINES, baselines);
        List<IcebergCommit.Move> page = new ArrayList<>();
        if (report != null) {
          // The staged copies of exactly the files the commit lists for the date.
          Map<String, List<String>> planned = new TreeMap<>();
          staged.forEach((table, files) -> planned.put(table, files.stream().map(IcebergCommit.Staged::path).toList()));
          page.add(new IcebergCommit.Move(writeReport(planned), AuditTables.REPORT_PAGE));
        }
        folders.put(AuditTables.REPORT, page);
        commit.withFolders(folders).publish(catalog, tempDirectory, folderPublisher(output));
      }
    }

    /** The report of these tables' files, written into the temporary folder; returns its path. */
    private String writeReport(Map<String, List<String>> files) throws IOException {
      Map<String, List<InputFile>> inputs = new TreeMap<>();
      for (String table : tables) {
        List<InputFile> in = new ArrayList<>();
        for (String f : files.get(table)) {
          in.add(new ChannelInputFile(FileSystems.matchSingleFileSpec(f)));
        }
        inputs.put(table, in);
      }
      ReportHeader header = new ReportHeader(auditDate, runId, output,
          Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(), report.target(), report.previousAuditDate(),
          report.poolKey());
      String page = tempDirectory + AuditTables.REPORT + "/" + AuditTables.REPORT_PAGE;
      try (OutputStream out = Channels.newOutputStream(
          FileSystems.create(FileSystems.matchNewResource(page, false), "text/html"))) {
        ComplianceReport.write(inputs, header, out);
      }
      return page;
    }

    private static void writeEmpty(String table, String path) throws IOException {
      ParquetIO.Sink sink = ParquetIO.sink(AuditTables.schema(table));
      WritableByteChannel ch = FileSystems.create(FileSystems.matchNewResource(path, false), MimeTypes.BINARY);
      try {
        sink.open(ch);
      } catch (IOException | RuntimeException e) {
        ch.close();
        throw e;
      }
      // Closing the Parquet writer closes the channel; closing an S3 upload twice fails.
      sink.flush();
    }
  }
}
