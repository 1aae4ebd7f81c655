package xenaudit.transforms;

import java.io.IOException;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.values.KV;

/**
 * Writes rows of one table into this bundle's temporary Parquet file and emits (table, path) when
 * the bundle ends, for {@link PublishTables}: the tables computed downstream of the parse step
 * (pool baselines, drift) take the same way to their place as the per-stream ones.
 */
class WriteTableFn extends DoFn<GenericRecord, KV<String, String>> {
  private final String table;
  private final String tempDirectory;
  private transient TableFiles files;

  WriteTableFn(String table, String tempDirectory) {
    this.table = table;
    this.tempDirectory = tempDirectory;
  }

  @StartBundle
  public void startBundle() {
    files = new TableFiles(tempDirectory);
  }

  @ProcessElement
  public void process(@Element GenericRecord row) throws IOException {
    files.write(table, row);
  }

  @FinishBundle
  public void finishBundle(FinishBundleContext c) throws IOException {
    for (KV<String, String> f : files.finish()) {
      c.output(f, GlobalWindow.INSTANCE.maxTimestamp(), GlobalWindow.INSTANCE);
    }
  }
}
