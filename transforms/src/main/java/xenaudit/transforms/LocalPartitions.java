package xenaudit.transforms;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.beam.sdk.io.FileSystems;

/**
 * Publishing on a local (or mounted) filesystem, where a folder can be renamed at once.
 *
 * <p>Each partition is built complete in the run's temporary folder (same filesystem, under the
 * output), then swapped in: the live {@code audit_date=D} folder is renamed away, the staged one
 * renamed into its place. A reader lists either the old complete partition, the new complete one,
 * or, for the instant between the two renames, none; never part of one. Before the first swap the
 * run writes {@code publish.journal} naming every swap; a run killed during the swaps leaves it,
 * and the next run on this output finishes them ({@link #recover}) before it starts, so a killed
 * publish ends as the new data, and a run killed earlier leaves the previous data as it was.
 *
 * <pre>
 * &lt;output&gt;/.xenaudit-temp/&lt;run&gt;/
 *   publish/&lt;folder&gt;/...        staged partitions, complete
 *   publish.journal                 "date D", then "publish F" or "remove F" per folder
 *   replaced/&lt;folder&gt;/          the partitions swapped out, deleted at the end
 * </pre>
 */
final class LocalPartitions implements PartitionPublisher {
  static final String JOURNAL = "publish.journal";
  private final Path output;
  private final Path temp;

  LocalPartitions(Path output, Path temp) {
    this.output = output;
    this.temp = temp;
  }

  static Path path(String location) {
    return Path.of(FileSystems.matchNewResource(AuditTables.folder(location), true).toString());
  }

  @Override
  public void publish(String auditDate, List<String> folders, Map<String, List<Staged>> staged) throws IOException {
    Path stage = temp.resolve("publish");
    List<String> journal = new ArrayList<>();
    journal.add("date " + auditDate);
    for (String folder : folders) {
      List<Staged> files = staged.get(folder);
      if (files == null) {
        journal.add("remove " + folder);
        continue;
      }
      Path dir = stage.resolve(folder);
      Files.createDirectories(dir);
      for (Staged f : files) {
        Files.move(Path.of(f.path()), dir.resolve(f.name()), StandardCopyOption.REPLACE_EXISTING);
      }
      journal.add("publish " + folder);
    }
    Path tmp = temp.resolve(JOURNAL + ".tmp");
    Files.write(tmp, journal, StandardCharsets.UTF_8);
    Files.move(tmp, temp.resolve(JOURNAL), StandardCopyOption.ATOMIC_MOVE);
    finish(output, temp);
  }

  /**
   * Completes the publish of every run that was killed while swapping (its journal is there), and
   * removes it. Runs without a journal are left: they may be running now.
   *
   * @return how many interrupted publishes were completed
   */
  static int recover(String outputLocation) throws IOException {
    Path output = path(outputLocation);
    Path temps = output.resolve(".xenaudit-temp");
    if (!Files.isDirectory(temps)) {
      return 0;
    }
    int n = 0;
    try (DirectoryStream<Path> runs = Files.newDirectoryStream(temps)) {
      for (Path run : runs) {
        if (Files.exists(run.resolve(JOURNAL))) {
          finish(output, run);
          n++;
        }
      }
    }
    deleteIfEmpty(temps);
    return n;
  }

  /** Every swap the journal names (each can be redone: one already made is skipped), then cleanup. */
  private static void finish(Path output, Path temp) throws IOException {
    List<String> journal = Files.readAllLines(temp.resolve(JOURNAL), StandardCharsets.UTF_8);
    String date = journal.get(0).substring("date ".length());
    for (String line : journal.subList(1, journal.size())) {
      String[] op = line.split(" ", 2);
      String folder = op[1];
      Path live = output.resolve(folder).resolve(AuditTables.DATE_KEY + "=" + date);
      Path staged = temp.resolve("publish").resolve(folder);
      boolean publish = op[0].equals("publish");
      if (publish && !Files.exists(staged)) {
        continue; // swapped in before the interruption
      }
      if (Files.exists(live)) {
        Path replaced = temp.resolve("replaced").resolve(folder);
        deleteTree(replaced);
        Files.createDirectories(replaced.getParent());
        Files.move(live, replaced, StandardCopyOption.ATOMIC_MOVE);
      }
      if (publish) {
        Files.createDirectories(live.getParent());
        Files.move(staged, live, StandardCopyOption.ATOMIC_MOVE);
      } else {
        deleteIfEmpty(live.getParent());
      }
    }
    updateLatestReport(output);
    Files.delete(temp.resolve(JOURNAL)); // first: the rest is garbage from here on, never redone
    deleteTree(temp);
    deleteIfEmpty(temp.getParent());
  }

  /** {@code report/latest.html}: the newest date's report, replaced by rename so it is never partial. */
  private static void updateLatestReport(Path output) throws IOException {
    Path reports = output.resolve(AuditTables.REPORT);
    if (!Files.isDirectory(reports)) {
      return;
    }
    Path newest = null;
    try (Stream<Path> dates = Files.list(reports)) {
      newest = dates.filter(d -> d.getFileName().toString().startsWith(AuditTables.DATE_KEY + "="))
          .map(d -> d.resolve(AuditTables.REPORT_PAGE)).filter(Files::exists)
          .max(Comparator.comparing(Path::toString)).orElse(null);
    }
    Path latest = reports.resolve(AuditTables.LATEST_REPORT);
    if (newest == null) {
      Files.deleteIfExists(latest);
      deleteIfEmpty(reports);
      return;
    }
    Path tmp = reports.resolve("." + AuditTables.LATEST_REPORT + ".tmp");
    Files.copy(newest, tmp, StandardCopyOption.REPLACE_EXISTING);
    Files.move(tmp, latest, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  private static void deleteIfEmpty(Path dir) throws IOException {
    try {
      Files.deleteIfExists(dir);
    } catch (java.nio.file.DirectoryNotEmptyException e) {
      // another date's partition, or another run's folder
    }
  }

  static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> all = Files.walk(root)) {
      all.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.delete(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }
}
