package xenaudit.pipeline;

import java.io.IOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.aws2.s3.DefaultS3ClientBuilderFactory;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import xenaudit.iceberg.IcebergCatalog;
import xenaudit.iceberg.IcebergSettings;
import xenaudit.transforms.AuditImages;
import xenaudit.transforms.AuditSettings;
import xenaudit.transforms.AuditTables;
import xenaudit.transforms.ComputePoolBaselines;
import xenaudit.transforms.ParseImageFn;
import xenaudit.transforms.PublishTables;

/**
 * The audit job: Xen migration images in (local files or object storage), Parquet tables out.
 *
 * <pre>
 * scripts/audit --input='s3://archive/images/**' --output=s3://audit/run-42 --awsRegion=eu-west-1
 * </pre>
 */
public final class AuditPipeline {
  private static final DateTimeFormatter RUN_ID =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  private AuditPipeline() {}

  /** What the last {@link #run} listed, for the progress line. */
  private static long matchedImages;
  private static long matchedBytes;

  /** Exit status when {@code --failOnInvalid} is set and an image is invalid or unreadable. */
  static final int EXIT_INVALID = 3;

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /**
   * The whole command: 0 when the audit succeeded, 2 for bad options or inputs (one line, before
   * any image is read), 1 when the job failed, 3 with {@code --failOnInvalid} when an image is
   * invalid or unreadable.
   */
  static int run(String[] args) {
    Redaction redaction = new Redaction(args);
    PipelineOptionsFactory.register(AuditOptions.class);
    AuditOptions options;
    try {
      options = PipelineOptionsFactory.fromArgs(args).withValidation().as(AuditOptions.class);
    } catch (IllegalArgumentException e) {
      System.err.println(redaction.apply("xenaudit: " + optionError(e)));
      return 2;
    }
    long start = System.nanoTime();
    AuditSummary summary;
    try {
      summary = runAndWait(options);
    } catch (IllegalArgumentException e) {
      System.err.println(redaction.apply("xenaudit: " + e.getMessage()));
      return 2;
    } catch (IOException | RuntimeException e) {
      System.err.println(redaction.apply("xenaudit: the audit failed: " + firstLine(rootCause(e))));
      return 1;
    }
    summary.print(System.out, (System.nanoTime() - start) / 1e9);
    if (options.getFailOnInvalid() && summary.invalid() + summary.unreadable() > 0) {
      System.err.printf("xenaudit: %d invalid and %d unreadable images (--failOnInvalid)%n", summary.invalid(),
          summary.unreadable());
      return EXIT_INVALID;
    }
    return 0;
  }

  /** Beam's option errors, in one line: what is wrong, and the offending value's own reason. */
  static String optionError(IllegalArgumentException e) {
    String top = firstLine(e.getMessage() == null ? e.toString() : e.getMessage());
    String root = firstLine(rootCause(e));
    return top.contains(root) ? top : top + ": " + root;
  }

  static String firstLine(String s) {
    return s == null ? "" : s.lines().findFirst().orElse("").trim();
  }

  /** A started job and what it was started with. */
  private record Job(PipelineResult result, AuditSettings settings, String auditDate, PreviousOutput previous,
      IcebergSettings iceberg) {}

  /** Runs the job to completion; its tables are then published. */
  public static AuditSummary runAndWait(AuditOptions options) throws IOException {
    Job job = start(options);
    PipelineResult.State state;
    try (ProgressLine progress = options.getProgress() && RunnerTuning.direct(options)
        ? ProgressLine.start(System.err, matchedImages, matchedBytes) : null) {
      state = job.result().waitUntilFinish();
    }
    if (state != PipelineResult.State.DONE) {
      throw new IOException("the audit job ended in state " + state);
    }
    return AuditSummary.of(job.result(), options.getOutput(), job.auditDate(), tables(job.settings()),
        tableLines(options.getOutput(), job.auditDate(), tables(job.settings()), job.iceberg()));
  }

  /** Where the summary says each table of the run is. */
  private static List<String> tableLines(String output, String auditDate, List<String> tables, IcebergSettings iceberg)
      throws IOException {
    List<String> lines = new ArrayList<>();
    if (iceberg == null) {
      for (String t : tables) {
        lines.add(AuditTables.partition(output, t, auditDate));
      }
      return lines;
    }
    try (IcebergCatalog catalog = IcebergCatalog.open(iceberg, output)) {
      for (String t : tables) {
        org.apache.iceberg.Table table = catalog.load(t);
        org.apache.iceberg.Snapshot s = table == null ? null : table.currentSnapshot();
        lines.add(catalog.identifier(t) + " (Iceberg" + (table == null ? "" : ", " + table.location())
            + (s == null ? "" : ", snapshot " + s.snapshotId() + ", " + s.summary().getOrDefault("total-records", "?")
                + " rows in all dates") + ")");
      }
    }
    return lines;
  }

  /** Builds and starts the job; returns without waiting. */
  private static Job start(AuditOptions options) throws IOException {
    // Steps:
    // 1. Defaults: run id, S3 client that speaks to S3-compatible servers too, the runner's tuning.
    // 2. Check every input pattern matches something: an empty audit is an error, not a success
    //    (in the driver on the DirectRunner; on a cluster the match runs in the job and fails it).
    //    The policy options (pools, target, previous output) are checked too.
    // 3. Audit every matched image (match, spread, parse): per-stream tables straight to temporary files.
    // 4. Pool baselines and drift, from the parse step's small per-pool and per-guest values.
    // 5. Once all are written, publish them as the date's partitions <output>/<table>/audit_date=D/.
    if (options.getAuditRunId() == null || options.getAuditRunId().isEmpty()) {
      options.setAuditRunId(RUN_ID.format(Instant.now()) + "-" + UUID.randomUUID().toString().substring(0, 8));
    }
    if (options.getS3ClientFactoryClass() == DefaultS3ClientBuilderFactory.class) {
      options.setS3ClientFactoryClass(PathStyleS3ClientBuilderFactory.class);
    }
    if (!usesS3(options)) {
      // Nothing to fetch from AWS: keep the SDK's default region and credential chains off the
      // instance-metadata endpoint (a link-local address no audit of local files should touch).
      System.setProperty("aws.disableEc2Metadata", "true");
    }
    RunnerTuning.apply(options);
    FileSystems.setDefaultPipelineOptions(options);

    // 2
    String auditDate = AuditDate.of(options.getAuditDate());
    String output = options.getOutput();
    IcebergSettings iceberg = iceberg(options);
    int recovered = iceberg == null ? PublishTables.recoverInterrupted(output)
        : PublishTables.recoverInterrupted(output, iceberg);
    PreviousOutput previous = previous(options, auditDate, iceberg);
    AuditSettings settings = settings(options).withDrift(previous != null);
    if (recovered > 0) {
      System.err.printf("xenaudit: finished publishing %d earlier run(s) of %s that were stopped while publishing%n",
          recovered, output);
    }
    String temp = PublishTables.tempDirectory(output, options.getAuditRunId());
    AuditImages audit;
    if (RunnerTuning.listInDriver(options)) {
      List<MatchResult.Metadata> matched = matchInputs(options.getInput());
      matchedImages = matched.size();
      matchedBytes = matched.stream().mapToLong(MatchResult.Metadata::sizeBytes).sum();
      audit = AuditImages.ofMatched(options.getInput(), matched, temp);
    } else {
      // The workers list: a graph holding a million objects would be hundreds of MB. A pattern
      // that matches nothing still fails the job (EmptyMatchTreatment.DISALLOW).
      audit = AuditImages.of(options.getInput(), temp);
    }

    Pipeline p = Pipeline.create(options);
    // 3
    PCollectionTuple audited = p.apply("AuditImages", audit.withSettings(settings));
    // 4
    PCollectionList<KV<String, String>> files = PCollectionList.of(audited.get(ParseImageFn.TABLE_FILES_OUT));
    if (settings.poolKey() != null) {
      files = files.and(audited.get(ParseImageFn.POOLS_OUT)
          .apply("ComputePoolBaselines", ComputePoolBaselines.in(temp)));
    }
    if (settings.drift()) {
      files = files.and(audited.get(ParseImageFn.SNAPSHOTS_OUT)
          .apply("ComputeDrift", previous.drift(temp).withBuckets(RunnerTuning.driftBuckets(options))));
    }
    // 5
    files.apply("AllTableFiles", Flatten.pCollections())
        .apply("PublishTables", publish(options, temp, auditDate, previous, settings, iceberg));
    return new Job(p.run(), settings, auditDate, previous, iceberg);
  }

  /** --tableFormat and the Iceberg options, checked; null for the Parquet layout. */
  static IcebergSettings iceberg(AuditOptions options) {
    String format = options.getTableFormat() == null ? "parquet" : options.getTableFormat().toLowerCase(java.util.Locale.ROOT);
    boolean rest = set(options.getIcebergCatalogUri());
    switch (format) {
      case "parquet":
        if (rest || options.getIcebergCatalogProperties() != null) {
          throw new IllegalArgumentException("--icebergCatalogUri and --icebergCatalogProperties need --tableFormat=iceberg");
        }
        return null;
      case "iceberg":
        if (rest && !options.getIcebergCatalogUri().matches("https?://.+")) {
          throw new IllegalArgumentException("--icebergCatalogUri " + options.getIcebergCatalogUri()
              + " is not an http(s) URI of an Iceberg REST catalog");
        }
        return IcebergSettings.of(options.getIcebergCatalogUri(), options.getIcebergNamespace(),
            options.getIcebergCatalogProperties());
      default:
        throw new IllegalArgumentException("--tableFormat " + options.getTableFormat() + " is not parquet or iceberg");
    }
  }

  private static PublishTables publish(AuditOptions options, String temp, String auditDate, PreviousOutput previous,
      AuditSettings settings, IcebergSettings iceberg) {
    PublishTables p = PublishTables.to(options.getOutput(), temp, auditDate, options.getAuditRunId(), tables(settings));
    if (iceberg != null) {
      p = p.asIceberg(iceberg);
    }
    return options.getReport()
        ? p.withReport(settings.target() == null ? null : options.getTargetPolicy(),
            previous == null ? null : previous.auditDate(), settings.poolKey())
        : p;
  }

  /** --previousOutput resolved to a date partition; null without one (or with auto on a first run). */
  private static PreviousOutput previous(AuditOptions options, String auditDate, IcebergSettings iceberg)
      throws IOException {
    if (!set(options.getPreviousOutput())) {
      return null;
    }
    PreviousOutput p = iceberg == null
        ? PreviousOutput.resolve(options.getPreviousOutput(), options.getOutput(), auditDate)
        : PreviousOutput.resolve(options.getPreviousOutput(), options.getOutput(), auditDate, iceberg);
    if (p == null) {
      System.err.printf("xenaudit: no audit before %s under %s yet: no policy_drift this time (--previousOutput=auto)%n",
          auditDate, options.getOutput());
    }
    return p;
  }

  /**
   * The options as one value for the transforms; the policy options are checked here, before any
   * image is read: a bad regex, a target file that does not parse, a previous output that is none.
   */
  static AuditSettings settings(AuditOptions options) throws IOException {
    AuditSettings s = AuditSettings.DEFAULTS
        .withCompression(options.getCompression())
        .withAuditRunId(options.getAuditRunId())
        .withMaxFindings(options.getMaxFindingsPerImage())
        .withReadPagePayload(options.getReadPagePayload())
        .withSeekThreshold(options.getSeekThreshold())
        .withParseThreads(options.getParseThreads())
        .withSpreadBuckets(options.getSpreadBuckets());
    if (set(options.getPoolKey())) {
      AuditSettings.poolPattern(options.getPoolKey());
      s = s.withPoolKey(options.getPoolKey());
    }
    if (set(options.getTargetPolicy())) {
      s = s.withTarget(TargetPolicies.read(options.getTargetPolicy()));
    }
    return s;
  }

  /** The tables a run with these settings writes. */
  static List<String> tables(AuditSettings settings) {
    List<String> tables = new ArrayList<>(AuditTables.ALWAYS);
    if (settings.poolKey() != null) {
      tables.add(AuditTables.POOL_BASELINE);
    }
    if (settings.target() != null) {
      tables.addAll(List.of(AuditTables.MIGRATION_CHECK, AuditTables.MIGRATION_BLOCKERS));
    }
    if (settings.drift()) {
      tables.add(AuditTables.POLICY_DRIFT);
    }
    return tables;
  }

  private static boolean set(String option) {
    return option != null && !option.isEmpty();
  }

  /** The innermost cause's message, the one that says what went wrong. */
  static String rootCause(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  static boolean usesS3(AuditOptions options) {
    return options.getOutput().startsWith("s3://") || options.getInput().stream().anyMatch(i -> i.startsWith("s3://"));
  }

  /** Lists every pattern; one that matches nothing is an error. Objects matched twice count once. */
  static List<MatchResult.Metadata> matchInputs(List<String> patterns) throws IOException {
    List<MatchResult> matches;
    try {
      matches = FileSystems.match(patterns, EmptyMatchTreatment.ALLOW);
    } catch (IOException e) {
      // Wrong credentials, endpoint or bucket: say so in a line, not a stack of futures.
      throw new IllegalArgumentException("--input " + String.join(",", patterns) + " cannot be listed: " + rootCause(e), e);
    }
    Map<String, MatchResult.Metadata> objects = new LinkedHashMap<>();
    for (int i = 0; i < patterns.size(); i++) {
      MatchResult m = matches.get(i);
      if (m.status() == MatchResult.Status.ERROR) {
        String why;
        try {
          m.metadata(); // an ERROR result rethrows what the filesystem met
          why = "error";
        } catch (IOException e) {
          why = rootCause(e);
        }
        throw new IllegalArgumentException("--input " + patterns.get(i) + " cannot be listed: " + why);
      }
      if (m.status() == MatchResult.Status.NOT_FOUND || m.metadata().isEmpty()) {
        throw new IllegalArgumentException(
            "--input " + patterns.get(i) + " matches no object (for everything under a prefix use /**)");
      }
      for (MatchResult.Metadata object : m.metadata()) {
        objects.putIfAbsent(object.resourceId().toString(), object);
      }
    }
    return new ArrayList<>(objects.values());
  }
}
