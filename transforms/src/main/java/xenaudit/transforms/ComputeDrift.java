package xenaudit.transforms;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.join.CoGbkResult;
import org.apache.beam.sdk.transforms.join.CoGroupByKey;
import org.apache.beam.sdk.transforms.join.KeyedPCollectionTuple;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;
import xenaudit.policy.FeatureSnapshot;

/**
 * Compares this run's feature snapshots (one per image, from the parse step) with an earlier run's
 * {@code cpuid_features} table, guest by guest (matched by {@code guest_id}), into {@code
 * policy_drift} rows: the features that appeared or disappeared, and guests found in one run only.
 *
 * <p>Guests are joined in buckets ({@link #withBuckets}), not one key each: the DirectRunner runs a
 * bundle per key, which for a fleet of guests cost seconds and a file per guest.
 *
 * <p>The earlier table is read file by file and folded into one compact snapshot per object as its
 * rows go by (this project writes an object's rows together; rows of one object split across files
 * are merged again per guest), so neither side ever holds ~290 rows per guest.
 */
public class ComputeDrift
    extends PTransform<PCollection<KV<String, FeatureSnapshot>>, PCollection<KV<String, String>>> {
  /** Buckets guests are joined in, by default: a bucket's guests are compared in one worker's memory. */
  public static final int DEFAULT_BUCKETS = 4096;

  /** File patterns of the earlier run's cpuid_features files (a folder's, or exact files). */
  private final List<String> previousFeatures;
  private final String tempDirectory;
  private final int buckets;

  private ComputeDrift(List<String> previousFeatures, String tempDirectory, int buckets) {
    this.previousFeatures = previousFeatures;
    this.tempDirectory = tempDirectory;
    this.buckets = buckets;
  }

  /**
   * @param previousFeatures the folder of an earlier run's {@code cpuid_features} files: one date
   *     partition ({@code <output>/cpuid_features/audit_date=D/}), every Parquet file under it is read
   */
  public static ComputeDrift against(String previousFeatures, String tempDirectory) {
    return new ComputeDrift(List.of(AuditTables.folder(previousFeatures) + "**.parquet"), tempDirectory,
        DEFAULT_BUCKETS);
  }

  /**
   * @param files an earlier run's {@code cpuid_features} data files of one date, each named exactly
   *     (an Iceberg snapshot's: the folder may also hold files of replaced snapshots); none is a
   *     date without rows
   */
  public static ComputeDrift againstFiles(List<String> files, String tempDirectory) {
    return new ComputeDrift(List.copyOf(files), tempDirectory, DEFAULT_BUCKETS);
  }

  /**
   * Guests are joined by bucket (a hash of guest_id), each bucket's guests matched in memory: a
   * runner that pays per key (the DirectRunner runs a bundle per key) wants few, a cluster wants
   * enough that one bucket fits a worker easily.
   */
  public ComputeDrift withBuckets(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("drift buckets must be at least 1, got " + n);
    }
    return new ComputeDrift(previousFeatures, tempDirectory, n);
  }

  @Override
  public PCollection<KV<String, String>> expand(PCollection<KV<String, FeatureSnapshot>> current) {
    KvCoder<String, FeatureSnapshot> coder = KvCoder.of(StringUtf8Coder.of(), FeatureSnapshotCoder.of());
    PCollection<KV<String, FeatureSnapshot>> previous = current.getPipeline()
        .apply("PreviousFiles", Create.of(previousFeatures).withCoder(StringUtf8Coder.of()))
        .apply("MatchPrevious", FileIO.matchAll().withEmptyMatchTreatment(EmptyMatchTreatment.DISALLOW))
        .apply("ReadPrevious", ParDo.of(new ReadSnapshotsFn()))
        .setCoder(coder);
    TupleTag<KV<String, FeatureSnapshot>> before = new TupleTag<>();
    TupleTag<KV<String, FeatureSnapshot>> now = new TupleTag<>();
    KvCoder<Integer, KV<String, FeatureSnapshot>> bucketCoder = KvCoder.of(VarIntCoder.of(), coder);
    return KeyedPCollectionTuple
        .of(before, previous.apply("BucketPrevious", bucketed(buckets)).setCoder(bucketCoder))
        .and(now, current.apply("BucketCurrent", bucketed(buckets)).setCoder(bucketCoder))
        .apply("JoinRuns", CoGroupByKey.create())
        .apply("CompareRuns", ParDo.of(new DriftRowsFn(before, now, tempDirectory)))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of()));
  }

  /** One earlier cpuid_features file → one snapshot per run of rows of the same (guest, object). */
  public static class ReadSnapshotsFn
      extends DoFn<org.apache.beam.sdk.io.fs.MatchResult.Metadata, KV<String, FeatureSnapshot>> {
    @ProcessElement
    public void process(@Element org.apache.beam.sdk.io.fs.MatchResult.Metadata file,
        OutputReceiver<KV<String, FeatureSnapshot>> out) throws IOException {
      PreviousFeatures.read(new ChannelInputFile(file), (guest, snapshot) -> out.output(KV.of(guest, snapshot)));
    }
  }

  /** (guest_id, snapshot) keyed by the guest's bucket. */
  private static MapElements<KV<String, FeatureSnapshot>, KV<Integer, KV<String, FeatureSnapshot>>> bucketed(int n) {
    return MapElements.into(TypeDescriptors.kvs(TypeDescriptors.integers(),
            new TypeDescriptor<KV<String, FeatureSnapshot>>() {}))
        .via((KV<String, FeatureSnapshot> g) -> KV.of(Math.floorMod(g.getKey().hashCode(), n), g));
  }

  /** One bucket's guests of both runs, matched by guest_id, compared in guest_id order. */
  static class DriftRowsFn extends WriteTableFn<KV<Integer, CoGbkResult>> {
    private final TupleTag<KV<String, FeatureSnapshot>> before;
    private final TupleTag<KV<String, FeatureSnapshot>> now;

    DriftRowsFn(TupleTag<KV<String, FeatureSnapshot>> before, TupleTag<KV<String, FeatureSnapshot>> now,
        String tempDirectory) {
      super(AuditTables.POLICY_DRIFT, tempDirectory);
      this.before = before;
      this.now = now;
    }

    @ProcessElement
    public void process(@Element KV<Integer, CoGbkResult> bucket) throws IOException {
      Map<String, FeatureSnapshot[]> guests = new TreeMap<>();
      for (KV<String, FeatureSnapshot> g : bucket.getValue().getAll(before)) {
        FeatureSnapshot[] runs = guests.computeIfAbsent(g.getKey(), k -> new FeatureSnapshot[2]);
        runs[0] = FeatureSnapshot.merge(runs[0], g.getValue());
      }
      for (KV<String, FeatureSnapshot> g : bucket.getValue().getAll(now)) {
        FeatureSnapshot[] runs = guests.computeIfAbsent(g.getKey(), k -> new FeatureSnapshot[2]);
        runs[1] = FeatureSnapshot.merge(runs[1], g.getValue());
      }
      for (Map.Entry<String, FeatureSnapshot[]> g : guests.entrySet()) {
        FeatureSnapshot previous = g.getValue()[0];
        FeatureSnapshot current = g.getValue()[1];
        String id = g.getKey();
        if (previous == null) {
          write(id, null, "guest_new", null, current.sourceUri());
        } else if (current == null) {
          write(id, null, "guest_gone", previous.sourceUri(), null);
        } else {
          for (FeatureSnapshot.Change c : FeatureSnapshot.changes(previous, current)) {
            write(id, c.feature(), c.change(), previous.sourceUri(), current.sourceUri());
          }
        }
      }
    }

    private void write(String guest, String feature, String change, String before, String now) throws IOException {
      GenericRecord g = row();
      g.put("guest_id", guest);
      g.put("feature", feature);
      g.put("change", change);
      g.put("previous_source_uri", before);
      g.put("source_uri", now);
      write(g);
    }
  }
}
