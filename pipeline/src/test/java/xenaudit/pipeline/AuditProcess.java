package xenaudit.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The audit in a JVM of its own (the test classpath), run to its end or SIGKILLed part way. */
final class AuditProcess {
  private AuditProcess() {}

  /**
   * Runs {@code AuditPipeline} with {@code args} and {@code --auditRunId=runId}, its output in
   * {@code logDir/<runId>.log}. With {@code killAfterMillis < 0} it must exit 0 within 3 minutes;
   * otherwise it is SIGKILLed after that long, if it has not ended by then.
   */
  static void runOrKill(Path logDir, String runId, List<String> args, long killAfterMillis) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(ChildServer.java(), "-Xmx512m", "-cp", System.getProperty("java.class.path"),
        "xenaudit.pipeline.AuditPipeline"));
    cmd.addAll(args);
    cmd.add("--auditRunId=" + runId);
    Path log = logDir.resolve(runId + ".log");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (killAfterMillis < 0) {
      assertTrue(p.waitFor(3, TimeUnit.MINUTES), Files.readString(log));
      assertEquals(0, p.exitValue(), Files.readString(log));
      return;
    }
    if (!p.waitFor(killAfterMillis, TimeUnit.MILLISECONDS)) {
      p.destroyForcibly(); // SIGKILL
      p.waitFor(30, TimeUnit.SECONDS);
    }
  }
}
