package xenaudit.transforms;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import java.util.List;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.MetadataCoderV2;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.Distinct;
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
import org.apache.beam.sdk.values.TypeDescriptors;
import xenaudit.policy.FeatureSnapshot;
import xenaudit.policy.PoolBaseline;

/**
 * Matches image patterns, spreads the matched objects across workers and audits each one: the
 * per-stream tables are written into temporary files as images are parsed; the result holds the
 * files' names and the small per-pool and per-guest values under {@link ParseImageFn}'s tags.
 *
 * <pre>{@code
 * PCollectionTuple audited = p.apply(AuditImages.of(List.of("s3://archive/images/**"), temp)
 *     .withSettings(AuditSettings.DEFAULTS.withAuditRunId(id)));
 * }</pre>
 */
public class AuditImages extends PTransform<PBegin, PCollectionTuple> {
  private final List<String> patterns;
  /** Objects already listed by the caller; when set, {@link #patterns} are only for display. */
  private final List<MatchResult.Metadata> matched;

  private final AuditSettings settings;
  private final String tempDirectory;

  private AuditImages(List<String> patterns, List<MatchResult.Metadata> matched, AuditSettings settings,
      String tempDirectory) {
    this.patterns = patterns;
    this.matched = matched;
    this.settings = settings;
    this.tempDirectory = tempDirectory;
  }

  /**
   * @param tempDirectory where the tables' files are written before {@link PublishTables} moves
   *     them into place (see {@link PublishTables#tempDirectory})
   */
  public static AuditImages of(List<String> patterns, String tempDirectory) {
    checkArgument(patterns != null && !patterns.isEmpty(), "at least one input pattern is required");
    return new AuditImages(List.copyOf(patterns), null, AuditSettings.DEFAULTS, directory(tempDirectory));
  }

  /**
   * Audits objects the caller has already listed (say, to refuse an input that matches nothing
   * before the job starts). Saves a second listing, and the per-object bundles of a matching step.
   */
  public static AuditImages ofMatched(List<String> patterns, List<MatchResult.Metadata> matched, String tempDirectory) {
    checkArgument(matched != null && !matched.isEmpty(), "at least one matched object is required");
    return new AuditImages(List.copyOf(patterns), List.copyOf(matched), AuditSettings.DEFAULTS,
        directory(tempDirectory));
  }

  /** Everything the audit is asked to do (compression, run id, caps, threads, pools, target, drift). */
  public AuditImages withSettings(AuditSettings s) {
    checkArgument(s != null, "settings are required");
    return new AuditImages(patterns, matched, s, tempDirectory);
  }

  private static String directory(String d) {
    checkArgument(d != null && !d.isEmpty(), "a temporary directory is required");
    return AuditTables.folder(d);
  }

  @Override
  public PCollectionTuple expand(PBegin input) {
    PCollection<MatchResult.Metadata> objects;
    if (matched != null && settings.parseThreads() > 1 && settings.spreadBuckets() == 1) {
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
                  .apply("MatchImages", FileIO.matchAll().withEmptyMatchTreatment(EmptyMatchTreatment.DISALLOW))
                  // An object two patterns match is audited once: one streams row per object.
                  .apply("OncePerObject", Distinct.withRepresentativeValueFn(
                          (MatchResult.Metadata m) -> m.resourceId().toString())
                      .withRepresentativeType(TypeDescriptors.strings()));
      // One huge image must not hold back the ones listed after it on the same worker.
      objects = listed.apply("SpreadImages", settings.spreadBuckets() == 0
          ? Reshuffle.<MatchResult.Metadata>viaRandomKey()
          : Reshuffle.<MatchResult.Metadata>viaRandomKey().withNumBuckets(settings.spreadBuckets()));
    }
    PCollectionTuple out =
        objects
            .apply("ReadMatches", FileIO.readMatches().withCompression(settings.compression()))
            .apply(
                "ParseImages",
                ParDo.of(new ParseImageFn(settings, tempDirectory))
                    .withOutputTags(
                        ParseImageFn.TABLE_FILES_OUT,
                        TupleTagList.of(ParseImageFn.POOLS_OUT).and(ParseImageFn.SNAPSHOTS_OUT)));
    out.get(ParseImageFn.TABLE_FILES_OUT).setCoder(KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of()));
    out.get(ParseImageFn.POOLS_OUT).setCoder(KvCoder.of(StringUtf8Coder.of(), SerializableCoder.of(PoolBaseline.class)));
    out.get(ParseImageFn.SNAPSHOTS_OUT)
        .setCoder(KvCoder.of(StringUtf8Coder.of(), FeatureSnapshotCoder.of()));
    return out;
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("patterns", String.join(",", patterns)))
        .add(DisplayData.item("compression", settings.compression().toString()))
        .add(DisplayData.item("auditRunId", settings.auditRunId()))
        .add(DisplayData.item("spreadBuckets", settings.spreadBuckets()))
        .add(DisplayData.item("parseThreads", settings.parseThreads()))
        .addIfNotNull(DisplayData.item("poolKey", settings.poolKey()))
        .add(DisplayData.item("target", settings.target() == null ? "" : settings.target().source()))
        .add(DisplayData.item("drift", settings.drift()));
  }
}
