package xenaudit.transforms;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableBiFunction;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import xenaudit.policy.PolicyText;
import xenaudit.policy.PoolBaseline;

/**
 * Per pool, merges the parse step's baseline accumulators into the pool's baseline: rows of {@code
 * pool_baseline} (written like every table, through temporary files) and {@code
 * baselines/audit_date=D/<pool>.txt}, the baseline in {@code xen-cpuid -p} form to feed back as a
 * {@code --targetPolicy}; both reach their place through {@link PublishTables}.
 */
public class ComputePoolBaselines
    extends PTransform<PCollection<KV<String, PoolBaseline>>, PCollection<KV<String, String>>> {
  private final String tempDirectory;

  private ComputePoolBaselines(String tempDirectory) {
    this.tempDirectory = tempDirectory;
  }

  /** @param tempDirectory the run's temporary folder ({@link PublishTables#tempDirectory}) */
  public static ComputePoolBaselines in(String tempDirectory) {
    return new ComputePoolBaselines(tempDirectory);
  }

  @Override
  public PCollection<KV<String, String>> expand(PCollection<KV<String, PoolBaseline>> parts) {
    SerializableBiFunction<PoolBaseline, PoolBaseline, PoolBaseline> merge = PoolBaseline::merge;
    return parts
        .apply("MergePools", Combine.perKey(Combine.BinaryCombineFn.of(merge)))
        .apply("WriteBaselines", ParDo.of(new BaselineRowsFn(tempDirectory)))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of()));
  }

  /** The pool's rows, and its policy file (when the pool has a guest with a policy). */
  static class BaselineRowsFn extends WriteTableFn<KV<String, PoolBaseline>> {
    private final String baselines;

    BaselineRowsFn(String tempDirectory) {
      super(AuditTables.POOL_BASELINE, tempDirectory);
      this.baselines = tempDirectory + AuditTables.BASELINES + "/";
    }

    @ProcessElement
    public void process(@Element KV<String, PoolBaseline> pool, OutputReceiver<KV<String, String>> out)
        throws IOException {
      PoolBaseline b = pool.getValue();
      GenericRecord g = row();
      g.put("pool", pool.getKey());
      g.put("guest_count", b.guestCount());
      for (PoolBaseline.FeatureBaseline f : b.features()) {
        g.put("feature", f.feature());
        g.put("present", f.present());
        g.put("guests_with_feature", f.guestsWithFeature());
        write(g);
      }
      if (b.guestCount() > 0) {
        // Named by pool, so a retried bundle rewrites the same file.
        String file = AuditTables.baselineFile(baselines, pool.getKey());
        try (OutputStream o = Channels.newOutputStream(
            FileSystems.create(FileSystems.matchNewResource(file, false), "text/plain"))) {
          o.write(PolicyText.format(pool.getKey(), b.policy()).getBytes(StandardCharsets.UTF_8));
        }
        out.output(KV.of(AuditTables.BASELINES, file));
      }
    }
  }
}
