package xenaudit.transforms;

import java.io.IOException;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.values.KV;

/**
 * A DoFn that writes rows of one table into this bundle's temporary Parquet file as it makes them,
 * and emits (table, path) when the bundle ends, for {@link PublishTables}: the tables computed
 * downstream of the parse step (pool baselines, drift) take the same way to their place as the
 * per-stream ones, without a step of their own between the rows and the file.
 *
 * @param <InputT> what the rows are made from
 */
abstract class WriteTableFn<InputT> extends DoFn<InputT, KV<String, String>> {
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

  /** The table's reusable record: fill it, then {@link #write} it. */
  GenericRecord row() {
    return files.row(table);
  }

  void write(GenericRecord row) throws IOException {
    files.write(table, row);
  }

  @FinishBundle
  public void finishBundle(FinishBundleContext c) throws IOException {
    for (KV<String, String> f : files.finish()) {
      c.output(f, GlobalWindow.INSTANCE.maxTimestamp(), GlobalWindow.INSTANCE);
    }
  }
}
