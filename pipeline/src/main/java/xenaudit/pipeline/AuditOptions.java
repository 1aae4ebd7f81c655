package xenaudit.pipeline;

import java.util.List;
import org.apache.beam.sdk.io.Compression;
import org.apache.beam.sdk.io.aws2.options.S3Options;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.Validation;
import xenaudit.transforms.io.S3ReadOptions;

/**
 * Options of the audit job. S3 access comes from Beam's {@link S3Options}: {@code --awsRegion},
 * {@code --endpoint}, {@code --awsCredentialsProvider} (default: the AWS default chain). Credentials
 * are never printed or logged by xenaudit.
 */
public interface AuditOptions extends S3Options, S3ReadOptions {
  @Description(
      "Images to audit: one or more comma-separated file patterns (local paths or globs, "
          + "s3://bucket/prefix/** for everything under a prefix, any Beam FileSystems URI). "
          + "A pattern that matches nothing is an error.")
  @Validation.Required
  List<String> getInput();

  void setInput(List<String> value);

  @Description(
      "Output directory (local or s3://bucket/prefix). Tables are written as Parquet under "
          + "<output>/streams/, cpuid_policy/, msr_policy/ and findings/.")
  @Validation.Required
  String getOutput();

  void setOutput(String value);

  @Description(
      "Compression of the images: AUTO (by extension: .gz, .zst, .bz2, ...; others are read as "
          + "is), UNCOMPRESSED, GZIP, ZSTD, BZIP2. Finding offsets of compressed images refer to "
          + "the uncompressed stream.")
  @Default.Enum("AUTO")
  Compression getCompression();

  void setCompression(Compression value);

  @Description("Identifier written to streams.audit_run_id. Default: the UTC start time and a random suffix.")
  String getAuditRunId();

  void setAuditRunId(String value);

  @Description("Findings listed per image in the findings table (all are counted in streams).")
  @Default.Integer(1000)
  int getMaxFindingsPerImage();

  void setMaxFindingsPerImage(int value);

  @Description(
      "Read every page of every image and report its CRC32C (a PAGE_PAYLOAD_CHECKSUM finding) instead "
          + "of skipping page payload: end-to-end integrity of the archive, at the cost of reading it all.")
  @Default.Boolean(false)
  boolean getReadPagePayload();

  void setReadPagePayload(boolean value);

  @Description(
      "Skips shorter than this many bytes are read through instead of seeking (on object storage a "
          + "seek is a new bounded ranged GET on a pooled connection). -1 (default) = 0 for local files, "
          + "1048576 for object storage.")
  @Default.Long(-1)
  long getSeekThreshold();

  void setSeekThreshold(long value);

  @Description(
      "Random keys the matched images are spread over before parsing. 0 = one per image (best on "
          + "cluster runners); -1 (default) = 0, or on the DirectRunner 1 (every image in one bundle, "
          + "shared by the parse threads) or, with --parseThreads=1, 4 per runner thread.")
  @Default.Integer(-1)
  int getSpreadBuckets();

  void setSpreadBuckets(int value);

  @Description(
      "Images audited at once by each parsing worker, on threads of its own. 1 = on the runner's own "
          + "threads (cluster runners); -1 (default) = 1, or on the DirectRunner one per core (four "
          + "per core when an input is on s3://, where a thread mostly waits for its GETs); the "
          + "DirectRunner is then given a single thread of its own: its idle threads spin (Beam issue 18070).")
  @Default.Integer(-1)
  int getParseThreads();

  void setParseThreads(int value);

  @Description(
      "Pools for baselines: a Java regex searched in each object's source_uri whose capture group 1 names "
          + "the guest's pool, e.g. 's3://archive/([^/]+)/'. Writes pool_baseline and <output>/baselines/<pool>.txt "
          + "(xen-cpuid -p form). A guest the regex does not match is in no pool (counted in the summary).")
  String getPoolKey();

  void setPoolKey(String value);

  @Description(
      "Migration target: a file (local or any Beam FileSystems URI) in the text form xen-cpuid -p prints. A "
          + "host dump (Raw, Host, PV Max, HVM Max, PV Default, HVM Default blocks) checks each guest against HVM Max "
          + "or PV Max by its type; a single block (a domain's policy, a baseline) is used for every guest. Writes "
          + "migration_check and migration_blockers. A file that does not parse is an error before any image is read.")
  String getTargetPolicy();

  void setTargetPolicy(String value);

  @Description(
      "The date this audit is filed under, YYYY-MM-DD: every table is written to <output>/<table>/audit_date=DATE/, "
          + "replacing that date's partition and nothing else. Default: today (UTC).")
  String getAuditDate();

  void setAuditDate(String value);

  @Description(
      "An earlier audit to compare with: writes policy_drift, the features that appeared or disappeared per "
          + "guest (matched by guest_id) and the guests new or gone since then. 'auto': the newest date "
          + "partition under --output earlier than --auditDate (none yet: no drift, a note). A path: an earlier "
          + "run's --output, whose newest partition (earlier than --auditDate when it is this --output) is read.")
  String getPreviousOutput();

  void setPreviousOutput(String value);

  @Description(
      "Write the HTML compliance report of the run's tables: <output>/report/audit_date=DATE/index.html, and "
          + "report/latest.html for the newest date. One self-contained page: fleet status, corrupt archives, "
          + "verdicts per issue and the guests behind them, feature exposure, pools, migration, drift.")
  @Default.Boolean(true)
  boolean getReport();

  void setReport(boolean value);

  @Description(
      "Exit with status 3 (after writing every table) when any image is invalid or unreadable, for CI "
          + "gates and scheduled jobs. Default: exit 0 whenever the audit itself succeeded.")
  @Default.Boolean(false)
  boolean getFailOnInvalid();

  void setFailOnInvalid(boolean value);

  @Description(
      "A progress line on stderr every few seconds (images done of the total, GiB, images/s, time left), on "
          + "the embedded DirectRunner. scripts/audit turns it on when stderr is a terminal.")
  @Default.Boolean(false)
  boolean getProgress();

  void setProgress(boolean value);

  @Description(
      "How the tables are written. parquet (default): Parquet files in <output>/<table>/audit_date=DATE/ folders. "
          + "iceberg: Iceberg tables partitioned by audit_date, each run one snapshot per table that replaces its date "
          + "(atomically, on local disks and object stores alike); without --icebergCatalogUri in the layout of "
          + "Iceberg's Hadoop catalog under <output>/<icebergNamespace>/<table>/, needing no service.")
  @Default.String("parquet")
  String getTableFormat();

  void setTableFormat(String value);

  @Description(
      "With --tableFormat=iceberg: the base URI of an Iceberg REST catalog to keep the tables in (e.g. "
          + "http://127.0.0.1:8181), instead of the file-system catalog under --output. All tables of a run "
          + "are then committed in one multi-table commit. The baselines and the report stay under --output.")
  String getIcebergCatalogUri();

  void setIcebergCatalogUri(String value);

  @Description("With --tableFormat=iceberg: the namespace of the tables (one level).")
  @Default.String("xenaudit")
  String getIcebergNamespace();

  void setIcebergNamespace(String value);

  @Description(
      "With --icebergCatalogUri: more REST catalog properties, key=value, comma-separated (e.g. "
          + "warehouse=audit,token=...). Values are redacted from error messages.")
  List<String> getIcebergCatalogProperties();

  void setIcebergCatalogProperties(List<String> value);
}
