package xenaudit.transforms;

import java.io.IOException;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.join.CoGbkResult;
import org.apache.beam.sdk.transforms.join.CoGroupByKey;
import org.apache.beam.sdk.transforms.join.KeyedPCollectionTuple;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.parquet.avro.AvroParquetReader;
import org.apache.parquet.avro.AvroReadSupport;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.hadoop.ParquetReader;
import xenaudit.policy.FeatureSnapshot;
import xenaudit.policy.Features;

/**
 * Compares this run's feature snapshots (one per image, from the parse step) with an earlier run's
 * {@code cpuid_features} table, guest by guest (matched by {@code guest_id}), into {@code
 * policy_drift} rows: the features that appeared or disappeared, and guests found in one run only.
 *
 * <p>The earlier table is read file by file and folded into one compact snapshot per object as its
 * rows go by (this project writes an object's rows together; rows of one object split across files
 * are merged again per guest), so neither side ever holds ~290 rows per guest.
 */
public class ComputeDrift
    extends PTransform<PCollection<KV<String, FeatureSnapshot>>, PCollection<KV<String, String>>> {
  private final String previousOutput;
  private final String tempDirectory;

  private ComputeDrift(String previousOutput, String tempDirectory) {
    this.previousOutput = previousOutput;
    this.tempDirectory = tempDirectory;
  }

  /** @param previousOutput an earlier run's --output (its cpuid_features table is read) */
  public static ComputeDrift against(String previousOutput, String tempDirectory) {
    return new ComputeDrift(previousOutput, tempDirectory);
  }

  @Override
  public PCollection<KV<String, String>> expand(PCollection<KV<String, FeatureSnapshot>> current) {
    KvCoder<String, FeatureSnapshot> coder = KvCoder.of(StringUtf8Coder.of(), SerializableCoder.of(FeatureSnapshot.class));
    PCollection<KV<String, FeatureSnapshot>> previous = current.getPipeline()
        .apply("MatchPrevious", FileIO.match()
            .filepattern(AuditTables.directory(previousOutput, AuditTables.CPUID_FEATURES) + "**.parquet")
            .withEmptyMatchTreatment(EmptyMatchTreatment.DISALLOW))
        .apply("ReadPrevious", ParDo.of(new ReadSnapshotsFn()))
        .setCoder(coder);
    TupleTag<FeatureSnapshot> before = new TupleTag<>();
    TupleTag<FeatureSnapshot> now = new TupleTag<>();
    return KeyedPCollectionTuple.of(before, previous)
        .and(now, current)
        .apply("JoinRuns", CoGroupByKey.create())
        .apply("CompareRuns", ParDo.of(new DriftRowsFn(before, now)))
        .setCoder(AvroCoder.of(GenericRecord.class, AuditTables.schema(AuditTables.POLICY_DRIFT)))
        .apply("WriteDrift", ParDo.of(new WriteTableFn(AuditTables.POLICY_DRIFT, tempDirectory)))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of()));
  }

  /** One earlier cpuid_features file → one snapshot per run of rows of the same (guest, object). */
  static class ReadSnapshotsFn extends DoFn<org.apache.beam.sdk.io.fs.MatchResult.Metadata, KV<String, FeatureSnapshot>> {
    private static final List<String> COLUMNS = List.of("guest_id", "source_uri", "feature", "present");

    @ProcessElement
    public void process(@Element org.apache.beam.sdk.io.fs.MatchResult.Metadata file,
        OutputReceiver<KV<String, FeatureSnapshot>> out) throws IOException {
      PlainParquetConfiguration conf = new PlainParquetConfiguration();
      conf.set(AvroReadSupport.AVRO_REQUESTED_PROJECTION, projection().toString());
      String guest = null;
      FeatureSnapshot snapshot = null;
      try (ParquetReader<GenericRecord> r =
          AvroParquetReader.<GenericRecord>builder(new ChannelInputFile(file), conf).build()) {
        for (GenericRecord row = r.read(); row != null; row = r.read()) {
          String g = String.valueOf(row.get("guest_id"));
          String uri = String.valueOf(row.get("source_uri"));
          if (snapshot == null || !g.equals(guest) || !uri.equals(snapshot.sourceUri())) {
            if (snapshot != null) {
              out.output(KV.of(guest, snapshot));
            }
            guest = g;
            snapshot = FeatureSnapshot.empty(uri);
          }
          int i = Features.indexOf(String.valueOf(row.get("feature")));
          if (i >= 0) {
            snapshot.set(i, (Boolean) row.get("present"));
          }
        }
      }
      if (snapshot != null) {
        out.output(KV.of(guest, snapshot));
      }
    }

    private static Schema projection() {
      Schema full = AuditTables.schema(AuditTables.CPUID_FEATURES);
      List<Schema.Field> fields = COLUMNS.stream()
          .map(c -> new Schema.Field(full.getField(c), full.getField(c).schema()))
          .toList();
      return Schema.createRecord(full.getName(), full.getDoc(), full.getNamespace(), false, fields);
    }
  }

  static class DriftRowsFn extends DoFn<KV<String, CoGbkResult>, GenericRecord> {
    private final TupleTag<FeatureSnapshot> before;
    private final TupleTag<FeatureSnapshot> now;

    DriftRowsFn(TupleTag<FeatureSnapshot> before, TupleTag<FeatureSnapshot> now) {
      this.before = before;
      this.now = now;
    }

    @ProcessElement
    public void process(@Element KV<String, CoGbkResult> guest, OutputReceiver<GenericRecord> out) {
      FeatureSnapshot previous = null;
      for (FeatureSnapshot s : guest.getValue().getAll(before)) {
        previous = FeatureSnapshot.merge(previous, s);
      }
      FeatureSnapshot current = null;
      for (FeatureSnapshot s : guest.getValue().getAll(now)) {
        current = FeatureSnapshot.merge(current, s);
      }
      String id = guest.getKey();
      if (previous == null) {
        out.output(row(id, null, "guest_new", null, current.sourceUri()));
      } else if (current == null) {
        out.output(row(id, null, "guest_gone", previous.sourceUri(), null));
      } else {
        for (FeatureSnapshot.Change c : FeatureSnapshot.changes(previous, current)) {
          out.output(row(id, c.feature(), c.change(), previous.sourceUri(), current.sourceUri()));
        }
      }
    }

    private static GenericRecord row(String guest, String feature, String change, String before, String now) {
      GenericRecord g = new GenericData.Record(AuditTables.schema(AuditTables.POLICY_DRIFT));
      g.put("guest_id", guest);
      g.put("feature", feature);
      g.put("change", change);
      g.put("previous_source_uri", before);
      g.put("source_uri", now);
      return g;
    }
  }
}
