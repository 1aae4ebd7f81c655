package xenaudit.pipeline;

import java.util.List;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.sdk.options.PortablePipelineOptions;
import xenaudit.transforms.ComputeDrift;

/**
 * Every setting that depends on the runner, in one place: the embedded DirectRunner needs several
 * (its idle threads spin, it pays per bundle and per key, it checks every element twice); a
 * cluster runner (Flink, Spark, Dataflow) gets Beam's defaults and its own parallelism. The
 * transforms never ask which runner they are on: they are given the values decided here.
 */
final class RunnerTuning {
  private RunnerTuning() {}

  static boolean direct(AuditOptions options) {
    return options.getRunner().getSimpleName().equals("DirectRunner");
  }

  /** Fills in the options left at auto (-1) for the runner, and the DirectRunner's own settings. */
  static void apply(AuditOptions options) {
    boolean direct = direct(options);
    if (options.getParseThreads() < 0) {
      // Over S3 a parse thread mostly waits for its next ranged GET: more of them keep the cores busy.
      int perCore = options.getInput().stream().anyMatch(i -> i.startsWith("s3://")) ? 4 : 1;
      options.setParseThreads(direct ? perCore * Runtime.getRuntime().availableProcessors() : 1);
    }
    if (direct) {
      directRunner(options);
    }
    if (options.getSpreadBuckets() < 0) {
      int threads = direct ? options.as(DirectOptions.class).getTargetParallelism() : 0;
      options.setSpreadBuckets(direct && options.getParseThreads() > 1 ? 1 : 4 * threads);
    }
  }

  /**
   * Whether the driver lists the inputs before the job: on the DirectRunner, so every image reaches
   * the parse step in one bundle and an input that matches nothing is a one-line error before the
   * job; on a cluster the job lists them itself, split across workers.
   */
  static boolean listInDriver(AuditOptions options) {
    return direct(options);
  }

  /** Buckets the drift join uses: the DirectRunner runs a bundle (and writes a file) per key. */
  static int driftBuckets(AuditOptions options) {
    return direct(options) ? 1 : ComputeDrift.DEFAULT_BUCKETS;
  }

  private static void directRunner(AuditOptions options) {
    DirectOptions d = options.as(DirectOptions.class);
    // These checks walk the whole graph for every bundle; our DoFns never mutate their input.
    d.setEnforceImmutability(false);
    d.setEnforceEncodability(false);
    if (options.getProgress()) {
      // run() would otherwise return only once the job is done: nothing to report progress on.
      d.setBlockOnRun(false);
    }
    PortablePipelineOptions portable = options.as(PortablePipelineOptions.class);
    if (portable.getFilesToStage() == null) {
      // Nothing to stage in-process; left unset, every bundle re-hashes the whole classpath (~1 s).
      portable.setFilesToStage(List.of());
    }
    if (options.getParseThreads() > 1) {
      // The DirectRunner reschedules its monitor on any idle thread of its pool, where it spins
      // (apache/beam#18070): with N threads, one core goes to the monitor while bundles wait. With
      // one thread, blocked in the parse step while the parse threads work, nothing spins.
      d.setTargetParallelism(1);
    }
  }
}
