package xenaudit.transforms;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import java.util.List;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.io.Compression;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.MetadataCoderV2;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.FlatMapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptor;

/**
 * Matches image patterns, spreads the matched objects across workers and audits each one: the
 * result holds the rows of every table under {@link ParseImageFn}'s tags.
 *
 * <pre>{@code
 * PCollectionTuple rows = p.apply(AuditImages.of(List.of("s3://archive/images/**")).withAuditRunId(id));
 * }</pre>
 */
public class AuditImages extends PTransform<PBegin, PCollectionTuple> {
  private final List<String> patterns;
  /** Objects already listed by the caller; when set, {@link #patterns} are only for display. */
  private final List<MatchResult.Metadata> matched;

  private final Compression compression;
  private final String auditRunId;
  private final int maxFindings;
  private final int spreadBuckets;
  private final boolean readPagePayload;
  private final long seekThreshold;
  private final int parseThreads;

  private AuditImages(List<String> patterns, List<MatchResult.Metadata> matched, Compression compression,
      String auditRunId, int maxFindings, int spreadBuckets, boolean readPagePayload, long seekThreshold,
      int parseThreads) {
    this.patterns = patterns;
    this.matched = matched;
    this.compression = compression;
    this.auditRunId = auditRunId;
    this.maxFindings = maxFindings;
    this.spreadBuckets = spreadBuckets;
    this.readPagePayload = readPagePayload;
    this.seekThreshold = seekThreshold;
    this.parseThreads = parseThreads;
  }

  public static AuditImages of(List<String> patterns) {
    checkArgument(patterns != null && !patterns.isEmpty(), "at least one input pattern is required");
    return new AuditImages(List.copyOf(patterns), null, Compression.AUTO, "", 1000, 0, false, -1, 1);
  }

  /**
   * Audits objects the caller has already listed (say, to refuse an input that matches nothing
   * before the job starts). Saves a second listing, and the per-object bundles of a matching step.
   */
  public static AuditImages ofMatched(List<String> patterns, List<MatchResult.Metadata> matched) {
    checkArgument(matched != null && !matched.isEmpty(), "at least one matched object is required");
    return new AuditImages(List.copyOf(patterns), List.copyOf(matched), Compression.AUTO, "", 1000, 0, false, -1, 1);
  }

  /** AUTO (the default) picks the decompressor from the extension: .gz, .zst, .bz2, ... */
  public AuditImages withCompression(Compression c) {
    return new AuditImages(
        patterns, matched, c, auditRunId, maxFindings, spreadBuckets, readPagePayload, seekThreshold, parseThreads);
  }

  public AuditImages withAuditRunId(String id) {
    return new AuditImages(
        patterns, matched, compression, id, maxFindings, spreadBuckets, readPagePayload, seekThreshold, parseThreads);
  }

  public AuditImages withMaxFindingsPerImage(int n) {
    checkArgument(n >= 1, "maxFindingsPerImage must be at least 1, got %s", n);
    return new AuditImages(
        patterns, matched, compression, auditRunId, n, spreadBuckets, readPagePayload, seekThreshold, parseThreads);
  }

  /**
   * Skips shorter than {@code bytes} are read through instead of repositioning the channel (a seek on
   * object storage is a new request). -1, the default: 0 for local files, 1 MiB for others.
   */
  public AuditImages withSeekThreshold(long bytes) {
    checkArgument(bytes >= -1, "seekThreshold must be -1 (auto) or more, got %s", bytes);
    return new AuditImages(
        patterns, matched, compression, auditRunId, maxFindings, spreadBuckets, readPagePayload, bytes, parseThreads);
  }

  /** Reads and checksums every page instead of skipping page payload (see ReadOptions). */
  public AuditImages withReadPagePayload(boolean read) {
    return new AuditImages(
        patterns, matched, compression, auditRunId, maxFindings, spreadBuckets, read, seekThreshold, parseThreads);
  }

  /**
   * Spreads images over this many random keys (0 = one key per image). A runner that pays per
   * bundle (the DirectRunner) wants a few per core; a cluster runner wants 0.
   */
  public AuditImages withSpreadBuckets(int n) {
    checkArgument(n >= 0, "spreadBuckets must be 0 or more, got %s", n);
    return new AuditImages(
        patterns, matched, compression, auditRunId, maxFindings, n, readPagePayload, seekThreshold, parseThreads);
  }

  /**
   * Images each parsing DoFn instance audits at once on threads of its own (1, the default: on the
   * runner's thread). For the DirectRunner, whose idle threads spin: give it one thread and this
   * one per core.
   */
  public AuditImages withParseThreads(int n) {
    checkArgument(n >= 1, "parseThreads must be at least 1, got %s", n);
    return new AuditImages(patterns, matched, compression, auditRunId, maxFindings, spreadBuckets, readPagePayload,
        seekThreshold, n);
  }

  @Override
  public PCollectionTuple expand(PBegin input) {
    PCollection<MatchResult.Metadata> objects;
    if (matched != null && parseThreads > 1 && spreadBuckets == 1) {
      // Every listed image in one bundle, for the parse threads to share. A Create of N elements is
      // split into bundles that a one-thread DirectRunner runs one after another, each waiting for
      // its slowest image: four images came out nearly serial.
      objects = input
          .apply("CreateMatches", Create.of(List.<List<MatchResult.Metadata>>of(matched))
              .withCoder(ListCoder.of(MetadataCoderV2.of())))
          .apply("OneBundle", FlatMapElements.into(new TypeDescriptor<MatchResult.Metadata>() {})
              .via((List<MatchResult.Metadata> all) -> all))
          .setCoder(MetadataCoderV2.of());
    } else {
      PCollection<MatchResult.Metadata> listed =
          matched != null
              ? input.apply("CreateMatches", Create.of(matched).withCoder(MetadataCoderV2.of()))
              : input
                  .apply("CreatePatterns", Create.of(patterns))
                  // A pattern that matches nothing fails the job: an empty audit is never a success.
                  .apply("MatchImages", FileIO.matchAll().withEmptyMatchTreatment(EmptyMatchTreatment.DISALLOW));
      // One huge image must not hold back the ones listed after it on the same worker.
      objects = listed.apply("SpreadImages", spreadBuckets == 0
          ? Reshuffle.<MatchResult.Metadata>viaRandomKey()
          : Reshuffle.<MatchResult.Metadata>viaRandomKey().withNumBuckets(spreadBuckets));
    }
    PCollectionTuple rows =
        objects
            .apply("ReadMatches", FileIO.readMatches().withCompression(compression))
            .apply(
                "ParseImages",
                ParDo.of(new ParseImageFn(auditRunId, maxFindings, readPagePayload, seekThreshold, parseThreads))
                    .withOutputTags(
                        ParseImageFn.STREAMS_OUT,
                        TupleTagList.of(ParseImageFn.CPUID_OUT)
                            .and(ParseImageFn.MSR_OUT)
                            .and(ParseImageFn.FINDINGS_OUT)));
    rows.get(ParseImageFn.STREAMS_OUT).setCoder(AvroCoder.of(GenericRecord.class, AuditTables.schema(AuditTables.STREAMS)));
    rows.get(ParseImageFn.CPUID_OUT).setCoder(AvroCoder.of(GenericRecord.class, AuditTables.schema(AuditTables.CPUID_POLICY)));
    rows.get(ParseImageFn.MSR_OUT).setCoder(AvroCoder.of(GenericRecord.class, AuditTables.schema(AuditTables.MSR_POLICY)));
    rows.get(ParseImageFn.FINDINGS_OUT).setCoder(AvroCoder.of(GenericRecord.class, AuditTables.schema(AuditTables.FINDINGS)));
    return rows;
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("patterns", String.join(",", patterns)))
        .add(DisplayData.item("compression", compression.toString()))
        .add(DisplayData.item("auditRunId", auditRunId))
        .add(DisplayData.item("spreadBuckets", spreadBuckets))
        .add(DisplayData.item("parseThreads", parseThreads));
  }
}
