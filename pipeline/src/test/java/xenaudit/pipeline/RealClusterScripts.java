package xenaudit.pipeline;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** The checkout's scripts as child processes, for {@link RealClusterIT}: clusters, audits, and what they leave. */
final class RealClusterScripts {
  private RealClusterScripts() {}

  /** The checkout's root (the tests run in the pipeline module). */
  static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

  record Result(int exit, String output) {}

  /** A command started from the checkout's root, its output (stdout and stderr) in a log of the work folder. */
  record Running(Process process, Path log, List<String> command) {
    boolean alive() {
      return process.isAlive();
    }

    Result waitFor(int seconds) throws IOException, InterruptedException {
      if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
        throw new AssertionError(String.join(" ", command) + " did not end within " + seconds + " s:\n" + read(log));
      }
      return new Result(process.exitValue(), read(log));
    }
  }

  static Running start(Path work, String name, List<String> command) throws IOException {
    Path log = work.resolve(name + ".log");
    Process p = new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
    return new Running(p, log, command);
  }

  static Result run(Path work, String name, List<String> command, int seconds) throws Exception {
    return start(work, name, command).waitFor(seconds);
  }

  private static String read(Path log) throws IOException {
    return Files.readString(log, StandardCharsets.UTF_8);
  }

  /** Whether a regular file is anywhere under the folder. */
  static boolean anyFile(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      return s.anyMatch(Files::isRegularFile);
    } catch (java.io.UncheckedIOException e) {
      return false; // a folder removed while walking it
    }
  }

  /** Every file of the date's partitions, each with its size, modification time and inode: a rename or rewrite shows. */
  static SortedMap<String, String> partitions(Path out, String date) throws IOException {
    SortedMap<String, String> files = new TreeMap<>();
    try (Stream<Path> tables = Files.list(out)) {
      for (Path table : (Iterable<Path>) tables::iterator) {
        Path partition = table.resolve("audit_date=" + date);
        if (!Files.isDirectory(partition)) {
          continue;
        }
        try (Stream<Path> s = Files.list(partition)) {
          for (Path f : (Iterable<Path>) s::iterator) {
            BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
            files.put(out.relativize(f).toString(), a.size() + " " + a.lastModifiedTime() + " " + a.fileKey());
          }
        }
      }
    }
    return files;
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** A cluster started with {@code scripts/cluster start} in a folder of its own, on free ports. */
  static final class Cluster {
    final String engine;
    final Path dir;
    final String startOutput;
    private boolean stopped;

    private Cluster(String engine, Path dir, String startOutput) {
      this.engine = engine;
      this.dir = dir;
      this.startOutput = startOutput;
    }

    static Cluster start(Path work, String engine) throws Exception {
      Path dir = work.resolve("cluster-" + engine);
      String second = engine.equals("flink") ? "--rpc-port" : "--ui-port";
      List<String> cmd = List.of("scripts/cluster", "start", engine, "--dir", dir.toString(),
          "--port", String.valueOf(freePort()), second, String.valueOf(freePort()), "--timeout", "120");
      Result r = run(work, "cluster-start-" + engine, cmd, 300);
      Cluster c = new Cluster(engine, dir, r.output());
      if (r.exit() != 0) {
        c.stop();
        throw new AssertionError("scripts/cluster start " + engine + " failed:\n" + r.output());
      }
      return c;
    }

    /** The submit line start printed ({@code   scripts/audit --runner=... --input='DIR/*' --output=OUT}), split. */
    List<String> submitLine() {
      String line = startOutput.lines().map(String::strip).filter(l -> l.startsWith("scripts/audit "))
          .findFirst().orElseThrow(() -> new AssertionError("no submit line in:\n" + startOutput));
      return new ArrayList<>(Arrays.asList(line.split("\\s+")));
    }

    /** SIGKILL one process of the cluster (taskmanager-1, worker-1, ...), by its pid file. */
    void kill(String name) throws IOException, InterruptedException {
      long pid = Long.parseLong(Files.readString(dir.resolve("pid").resolve(name + ".pid")).strip());
      ProcessHandle h = ProcessHandle.of(pid).orElseThrow(() -> new AssertionError(name + " (pid " + pid + ") is gone"));
      h.destroyForcibly(); // SIGKILL
      h.onExit().join();
    }

    /** What the engine did about the kill, as its logs tell (for the test's summary line). */
    String recovery(String runOutput) throws IOException {
      if (engine.equals("flink")) {
        String jm = read(dir.resolve("log").resolve("jobmanager.log"));
        long restarts = jm.lines().filter(l -> l.contains("switched from state RUNNING to RESTARTING")).count();
        long failedTasks = jm.lines().filter(l -> l.contains("switched from RUNNING to FAILED")).count();
        return "job restarts " + restarts + ", failed task attempts " + failedTasks;
      }
      long lost = runOutput.lines().filter(l -> l.contains("Lost task") || l.contains("Lost executor")).count();
      long resubmitted = runOutput.lines().filter(l -> l.contains("Resubmitting")).count();
      return "lost tasks/executors logged " + lost + ", stages resubmitted " + resubmitted;
    }

    void stop() throws Exception {
      if (stopped) {
        return;
      }
      stopped = true;
      Result r = run(dir.getParent(), "cluster-stop-" + engine,
          List.of("scripts/cluster", "stop", engine, "--dir", dir.toString()), 120);
      if (r.exit() != 0) {
        throw new AssertionError("scripts/cluster stop " + engine + " failed:\n" + r.output());
      }
    }
  }
}
