package xenaudit.iceberg;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.MoveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.util.MimeTypes;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.DataFiles;
import org.apache.iceberg.FileFormat;
import org.apache.iceberg.MetricsConfig;
import org.apache.iceberg.OverwriteFiles;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.StructLike;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableProperties;
import org.apache.iceberg.Transaction;
import org.apache.iceberg.expressions.Expressions;
import org.apache.iceberg.io.InputFile;
import org.apache.iceberg.mapping.NameMapping;
import org.apache.iceberg.mapping.NameMappingParser;
import org.apache.iceberg.parquet.ParquetUtil;

/**
 * One run's commit of one audit date to every table it touches: that date's files replaced by the
 * run's (one Iceberg overwrite per table: the date's old files out, the new ones in, one snapshot),
 * other dates untouched. Each snapshot's summary names the run ({@link IcebergCatalog#RUN_ID}).
 *
 * <p>Before anything moves, the run writes {@code iceberg.journal} in its temporary folder: the
 * date, and for each table the staged files and where they go under the table. Then the files are
 * moved into the table's {@code data/audit_date=D/}, then the tables are committed. A REST catalog
 * commits every table in one request; the file-system catalog has no multi-table commit, so the
 * tables are committed one after another, {@code streams} last. Then the date's folders beside the
 * tables (the report, built from the files the commit lists, and the baselines) are published by
 * the given {@link FolderPublisher}. A run killed before the journal
 * leaves every table as it was (its staged files are in its temporary folder, not in any table); a
 * run killed after it is finished by the next run on the output ({@link #recover}), which redoes
 * the moves not done, commits the tables that lack a snapshot of that run and publishes its folders
 * (when their staged files are all still there: otherwise they were published). Until then a reader
 * sees each table's previous snapshot or its new one, never a part of either.
 *
 * <pre>
 * xenaudit-iceberg-journal 1
 * run RUN_ID
 * date YYYY-MM-DD
 * commit UUID              this publish's own id (a rerun may reuse its run id), in each snapshot's summary
 * table NAME               one per table, in commit order
 * file STAGED\tFINAL       its files (none: the date's partition is emptied)
 * folder NAME              one per folder beside the tables, after them
 * file STAGED\tNAME        its files and their names in the date's partition (none: the partition goes)
 * </pre>
 */
public final class IcebergCommit {
  public static final String JOURNAL = "iceberg.journal";
  private static final String MAGIC = "xenaudit-iceberg-journal 1";

  /** A staged file and where it goes in its table. */
  public record Move(String staged, String target) {}

  /** A staged file and its name in the table's data folder. */
  public record Staged(String path, String name) {}

  /** Publishes a date's folders beside the tables: folder → its files (target = name in the partition). */
  @FunctionalInterface
  public interface FolderPublisher {
    void publish(String auditDate, String tempDirectory, Map<String, List<Move>> folders) throws IOException;
  }

  private final String runId;
  private final String auditDate;
  private final String commitId;
  /** Table → its files, in commit order. */
  private final Map<String, List<Move>> tables;
  /** Folder → its files, published after the tables. */
  private final Map<String, List<Move>> folders;

  private IcebergCommit(String runId, String auditDate, String commitId, Map<String, List<Move>> tables,
      Map<String, List<Move>> folders) {
    this.runId = runId;
    this.auditDate = auditDate;
    this.commitId = commitId;
    this.tables = tables;
    this.folders = folders;
  }

  /**
   * Plans the commit: every table of {@code staged} (a table with no files empties its date), and
   * every existing table of the catalog this run does not produce (its date is emptied too, so a
   * date holds one run's tables). {@code streams} is committed last.
   *
   * @param staged table → staged file paths; a table this run produces but has no rows for maps to none
   */
  public static IcebergCommit plan(IcebergCatalog catalog, String runId, String auditDate,
      Map<String, List<Staged>> staged, List<String> allTables, String streamsTable) {
    Map<String, List<Move>> tables = new LinkedHashMap<>();
    List<String> order = new ArrayList<>(allTables);
    order.remove(streamsTable);
    order.add(streamsTable);
    for (String table : order) {
      List<Staged> files = staged.get(table);
      if (files == null) {
        if (catalog.load(table) != null) {
          tables.put(table, List.of());
        }
        continue;
      }
      Table t = catalog.loadOrCreate(table);
      StructLike partition = DataFiles.data(t.spec(), IcebergSchemas.DATE_COLUMN + "=" + auditDate);
      List<Move> moves = new ArrayList<>();
      for (Staged f : files) {
        moves.add(new Move(f.path(), t.locationProvider().newDataLocation(t.spec(), partition, f.name())));
      }
      tables.put(table, moves);
    }
    return new IcebergCommit(runId, auditDate, java.util.UUID.randomUUID().toString(), tables, Map.of());
  }

  /** The same commit, then these folders published beside the tables (folder → files, target = name). */
  public IcebergCommit withFolders(Map<String, List<Move>> folders) {
    return new IcebergCommit(runId, auditDate, commitId, tables, new LinkedHashMap<>(folders));
  }

  /** Journal, moves, commits, folders; then the journal is removed. */
  public void publish(IcebergCatalog catalog, String tempDirectory, FolderPublisher publisher) throws IOException {
    writeJournal(tempDirectory + JOURNAL);
    finish(catalog);
    if (!folders.isEmpty()) {
      publisher.publish(auditDate, tempDirectory, folders);
    }
    FileSystems.delete(List.of(FileSystems.matchNewResource(tempDirectory + JOURNAL, false)),
        MoveOptions.StandardMoveOptions.IGNORE_MISSING_FILES);
  }

  /**
   * Finishes every run on {@code output} that was killed after its journal was written.
   *
   * @param tempRoot the output's folder of run folders ({@code <output>/.xenaudit-temp/})
   * @return how many were finished
   */
  public static int recover(IcebergCatalog catalog, String tempRoot, FolderPublisher publisher) throws IOException {
    MatchResult m = FileSystems.match(List.of(tempRoot + "*/" + JOURNAL), EmptyMatchTreatment.ALLOW).get(0);
    if (m.status() != MatchResult.Status.OK) {
      return 0;
    }
    int n = 0;
    for (MatchResult.Metadata journal : m.metadata()) {
      String path = journal.resourceId().toString();
      IcebergCommit c = readJournal(path);
      c.finish(catalog);
      if (!c.folders.isEmpty() && c.foldersStaged()) {
        publisher.publish(c.auditDate, path.substring(0, path.length() - JOURNAL.length()), c.folders);
      }
      FileSystems.delete(List.of(journal.resourceId()), MoveOptions.StandardMoveOptions.IGNORE_MISSING_FILES);
      n++;
    }
    return n;
  }

  /** Whether every staged file of the folders is still there (a publish of them moves them away). */
  private boolean foldersStaged() throws IOException {
    for (List<Move> moves : folders.values()) {
      for (Move m : moves) {
        if (BeamFileIO.stat(m.staged()) == null) {
          return false;
        }
      }
    }
    return true;
  }

  private void finish(IcebergCatalog catalog) throws IOException {
    for (List<Move> moves : tables.values()) {
      move(moves);
    }
    List<Transaction> commits = new ArrayList<>();
    for (Map.Entry<String, List<Move>> e : tables.entrySet()) {
      Table t = e.getValue().isEmpty() ? catalog.load(e.getKey()) : catalog.loadOrCreate(e.getKey());
      if (t == null || committed(t)) {
        continue;
      }
      commits.add(overwrite(t, e.getValue()));
    }
    catalog.commit(commits);
  }

  /** Moves what is not moved yet: a file already at its target (an earlier attempt) is skipped. */
  private static void move(List<Move> moves) throws IOException {
    List<ResourceId> from = new ArrayList<>();
    List<ResourceId> to = new ArrayList<>();
    for (Move m : moves) {
      if (BeamFileIO.stat(m.staged()) == null) {
        if (BeamFileIO.stat(m.target()) == null) {
          throw new IOException("staged file " + m.staged() + " is gone and " + m.target() + " is not there");
        }
        continue;
      }
      ResourceId src = FileSystems.matchNewResource(m.staged(), false);
      ResourceId dst = FileSystems.matchNewResource(m.target(), false);
      if ("file".equals(dst.getScheme())) {
        Files.createDirectories(Path.of(dst.toString()).getParent());
        Files.move(Path.of(src.toString()), Path.of(dst.toString()), StandardCopyOption.REPLACE_EXISTING);
      } else {
        from.add(src);
        to.add(dst);
      }
    }
    if (!from.isEmpty()) {
      FileSystems.copy(from, to);
      FileSystems.delete(from, MoveOptions.StandardMoveOptions.IGNORE_MISSING_FILES);
    }
  }

  private boolean committed(Table t) {
    for (Snapshot s : t.snapshots()) {
      if (commitId.equals(s.summary().get(IcebergCatalog.COMMIT_ID))) {
        return true;
      }
    }
    return false;
  }

  private Transaction overwrite(Table t, List<Move> moves) {
    Transaction txn = t.newTransaction();
    OverwriteFiles o = txn.newOverwrite()
        .overwriteByRowFilter(Expressions.equal(IcebergSchemas.DATE_COLUMN, auditDate));
    String mappingJson = t.properties().get(TableProperties.DEFAULT_NAME_MAPPING);
    NameMapping mapping = mappingJson == null ? null : NameMappingParser.fromJson(mappingJson);
    MetricsConfig metrics = MetricsConfig.forTable(t);
    for (Move m : moves) {
      o.addFile(dataFile(t, m.target(), mapping, metrics));
    }
    o.set(IcebergCatalog.RUN_ID, runId).set(IcebergCatalog.AUDIT_DATE, auditDate).set(IcebergCatalog.COMMIT_ID, commitId)
        .commit();
    return txn;
  }

  /** A data file as Iceberg lists it: its row count and column statistics, read from its footer. */
  private DataFile dataFile(Table t, String path, NameMapping mapping, MetricsConfig metrics) {
    InputFile in = t.io().newInputFile(path);
    return DataFiles.builder(t.spec())
        .withInputFile(in)
        .withFormat(FileFormat.PARQUET)
        .withPartitionPath(IcebergSchemas.DATE_COLUMN + "=" + auditDate)
        .withMetrics(ParquetUtil.fileMetrics(in, metrics, mapping))
        .build();
  }

  private void writeJournal(String path) throws IOException {
    StringBuilder s = new StringBuilder(MAGIC).append('\n');
    s.append("run ").append(runId).append('\n').append("date ").append(auditDate).append('\n');
    s.append("commit ").append(commitId).append('\n');
    section(s, "table ", tables);
    section(s, "folder ", folders);
    byte[] bytes = s.toString().getBytes(StandardCharsets.UTF_8);
    ResourceId target = FileSystems.matchNewResource(path, false);
    if ("file".equals(target.getScheme())) {
      Path p = Path.of(target.toString());
      Path tmp = p.resolveSibling(JOURNAL + ".tmp");
      Files.createDirectories(p.getParent());
      Files.write(tmp, bytes);
      Files.move(tmp, p, StandardCopyOption.ATOMIC_MOVE); // whole or absent
    } else {
      try (OutputStream out = Channels.newOutputStream(FileSystems.create(target, MimeTypes.TEXT))) {
        out.write(bytes); // one PUT: whole or absent
      }
    }
  }

  private static void section(StringBuilder s, String kind, Map<String, List<Move>> entries) throws IOException {
    for (Map.Entry<String, List<Move>> e : entries.entrySet()) {
      s.append(kind).append(e.getKey()).append('\n');
      for (Move m : e.getValue()) {
        if (m.staged().matches(".*[\t\n].*") || m.target().matches(".*[\t\n].*")) {
          throw new IOException("a file path holds a tab or a line break: " + m.staged());
        }
        s.append("file ").append(m.staged()).append('\t').append(m.target()).append('\n');
      }
    }
  }

  static IcebergCommit readJournal(String path) throws IOException {
    String text;
    try (InputStream in = Channels.newInputStream(FileSystems.open(FileSystems.matchNewResource(path, false)))) {
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    List<String> lines = text.lines().toList();
    if (lines.size() < 4 || !lines.get(0).equals(MAGIC) || !lines.get(1).startsWith("run ")
        || !lines.get(2).startsWith("date ") || !lines.get(3).startsWith("commit ")) {
      throw new IOException(path + " is not an Iceberg commit journal of this version");
    }
    Map<String, List<Move>> tables = new LinkedHashMap<>();
    Map<String, List<Move>> folders = new LinkedHashMap<>();
    List<Move> current = null;
    for (String line : lines.subList(4, lines.size())) {
      if (line.startsWith("table ") && folders.isEmpty()) {
        current = new ArrayList<>();
        tables.put(line.substring(6), current);
      } else if (line.startsWith("folder ")) {
        current = new ArrayList<>();
        folders.put(line.substring(7), current);
      } else if (line.startsWith("file ") && current != null) {
        String[] f = line.substring(5).split("\t", 2);
        current.add(new Move(f[0], f[1]));
      } else {
        throw new IOException(path + ": unexpected line " + line);
      }
    }
    return new IcebergCommit(lines.get(1).substring(4), lines.get(2).substring(5), lines.get(3).substring(7), tables,
        folders);
  }

  public String auditDate() {
    return auditDate;
  }
}
