package xenaudit.transforms;

import java.io.IOException;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.MoveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
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

/**
 * Once every table file of the job is written (their names arrive here, all under one key), moves
 * them from the temporary directory to {@code <output>/<table>/<table>-NNNNN-of-MMMMM.parquet},
 * after removing the files an earlier run left in those folders; a table of this run with no rows
 * gets one empty file with its schema, so queries over it work. Tables this run does not produce
 * (no --targetPolicy this time, say) lose their old files: the output is one run's, never a mix.
 */
public class PublishTables extends PTransform<PCollection<KV<String, String>>, PDone> {
  private final String output;
  private final String tempDirectory;
  private final List<String> tables;

  private PublishTables(String output, String tempDirectory, List<String> tables) {
    this.output = output;
    this.tempDirectory = tempDirectory;
    this.tables = tables;
  }

  /** @param tables the tables this run produces (others' old files are removed) */
  public static PublishTables to(String output, String tempDirectory, List<String> tables) {
    return new PublishTables(output, tempDirectory, List.copyOf(tables));
  }

  /** Where a run writes its files before they are published: under the output, one folder per run. */
  public static String tempDirectory(String output, String runId) {
    return AuditTables.folder(output) + ".xenaudit-temp/" + AuditTables.fileName(runId) + "/";
  }

  @Override
  public PDone expand(PCollection<KV<String, String>> files) {
    files
        .apply("OneKey", WithKeys.of(""))
        .apply("AllFiles", GroupByKey.create())
        .apply("MoveIntoPlace", ParDo.of(new PublishFn(output, tempDirectory, tables)));
    return PDone.in(files.getPipeline());
  }

  static class PublishFn extends DoFn<KV<String, Iterable<KV<String, String>>>, Void> {
    private final String output;
    private final String tempDirectory;
    private final List<String> tables;

    PublishFn(String output, String tempDirectory, List<String> tables) {
      this.output = output;
      this.tempDirectory = tempDirectory;
      this.tables = tables;
    }

    @ProcessElement
    public void process(@Element KV<String, Iterable<KV<String, String>>> all) throws IOException {
      Map<String, List<String>> byTable = new TreeMap<>();
      for (KV<String, String> f : all.getValue()) {
        byTable.computeIfAbsent(f.getKey(), t -> new ArrayList<>()).add(f.getValue());
      }
      for (String table : AuditTables.ALL) {
        String dir = AuditTables.directory(output, table);
        delete(matches(dir + "*.parquet"));
        if (!tables.contains(table)) {
          continue;
        }
        List<String> parts = new ArrayList<>(byTable.getOrDefault(table, List.of()));
        parts.sort(null);
        if (parts.isEmpty()) {
          writeEmpty(table, dir + table + "-00000-of-00001.parquet");
          continue;
        }
        List<ResourceId> from = new ArrayList<>();
        List<ResourceId> to = new ArrayList<>();
        for (int i = 0; i < parts.size(); i++) {
          from.add(FileSystems.matchNewResource(parts.get(i), false));
          to.add(FileSystems.matchNewResource(
              String.format("%s%s-%05d-of-%05d.parquet", dir, table, i, parts.size()), false));
        }
        FileSystems.rename(from, to, MoveOptions.StandardMoveOptions.IGNORE_MISSING_FILES);
      }
      // Files of retried bundles were never named downstream: they go with the rest of the folder.
      delete(matches(tempDirectory + "**"));
      removeFolders();
    }

    /** Local filesystems keep the emptied folders; object stores have none, so failures are ignored. */
    private void removeFolders() {
      List<String> folders = new ArrayList<>();
      for (String t : AuditTables.ALL) {
        folders.add(tempDirectory + t + "/");
      }
      folders.add(tempDirectory);
      String parent = tempDirectory.substring(0, tempDirectory.lastIndexOf('/', tempDirectory.length() - 2) + 1);
      folders.add(parent);
      for (String f : folders) {
        try {
          FileSystems.delete(List.of(FileSystems.matchNewResource(f, true)),
              MoveOptions.StandardMoveOptions.IGNORE_MISSING_FILES);
        } catch (IOException | RuntimeException e) {
          // not empty (another run's files) or not a folder on this filesystem: leave it
        }
      }
    }

    private static List<ResourceId> matches(String pattern) throws IOException {
      MatchResult m = FileSystems.match(List.of(pattern), EmptyMatchTreatment.ALLOW).get(0);
      List<ResourceId> out = new ArrayList<>();
      if (m.status() == MatchResult.Status.OK) {
        for (MatchResult.Metadata x : m.metadata()) {
          out.add(x.resourceId());
        }
      }
      return out;
    }

    private static void delete(List<ResourceId> files) throws IOException {
      if (!files.isEmpty()) {
        FileSystems.delete(files, MoveOptions.StandardMoveOptions.IGNORE_MISSING_FILES);
      }
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
