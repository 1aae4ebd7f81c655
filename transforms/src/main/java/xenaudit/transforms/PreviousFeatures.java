package xenaudit.transforms;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ColumnReader;
import org.apache.parquet.column.impl.ColumnReadStoreImpl;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.io.InputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.Converter;
import org.apache.parquet.io.api.GroupConverter;
import org.apache.parquet.io.api.PrimitiveConverter;
import org.apache.parquet.schema.MessageType;
import xenaudit.policy.FeatureSnapshot;
import xenaudit.policy.Features;

/**
 * Reads an earlier run's {@code cpuid_features} file column by column (guest_id, source_uri,
 * feature, present), folding the rows of each object into one {@link FeatureSnapshot} as they go
 * by. Strings are compared as the Parquet values they are (dictionary entries), and turned into
 * Java strings once per object, not once per row: through Avro records, reading ~290 rows per
 * guest cost more than auditing the guest's image.
 */
final class PreviousFeatures {
  static final List<String> COLUMNS = List.of("guest_id", "source_uri", "feature", "present");

  private PreviousFeatures() {}

  /** Calls {@code out} with (guest_id, snapshot) for each run of rows of one (guest, object). */
  static void read(InputFile file, BiConsumer<String, FeatureSnapshot> out) throws IOException {
    try (ParquetFileReader r = ParquetFileReader.open(file)) {
      MessageType full = r.getFooter().getFileMetaData().getSchema();
      for (String c : COLUMNS) {
        if (!full.containsField(c)) {
          throw new IOException(file + " is not a cpuid_features file: it has no column " + c);
        }
      }
      MessageType columns = new MessageType(full.getName(), COLUMNS.stream().map(full::getType).toList());
      r.setRequestedSchema(columns);
      String createdBy = r.getFooter().getFileMetaData().getCreatedBy();
      Map<Binary, Integer> featureIndex = new HashMap<>();
      Binary guest = null;
      Binary uri = null;
      String guestId = null;
      FeatureSnapshot snapshot = null;
      for (PageReadStore rows = r.readNextRowGroup(); rows != null; rows = r.readNextRowGroup()) {
        ColumnReadStoreImpl store = new ColumnReadStoreImpl(rows, new Ignore(columns.getFieldCount()), columns, createdBy);
        ColumnReader g = store.getColumnReader(column(columns, "guest_id"));
        ColumnReader u = store.getColumnReader(column(columns, "source_uri"));
        ColumnReader f = store.getColumnReader(column(columns, "feature"));
        ColumnReader p = store.getColumnReader(column(columns, "present"));
        int presentDefined = p.getDescriptor().getMaxDefinitionLevel();
        for (long i = 0; i < rows.getRowCount(); i++) {
          Binary gi = g.getBinary();
          Binary ui = u.getBinary();
          if (snapshot == null || !gi.equals(guest) || !ui.equals(uri)) {
            if (snapshot != null) {
              out.accept(guestId, snapshot);
            }
            guest = gi.copy();
            uri = ui.copy();
            guestId = gi.toStringUsingUTF8();
            snapshot = FeatureSnapshot.empty(ui.toStringUsingUTF8());
          }
          Binary name = f.getBinary();
          Integer index = featureIndex.get(name);
          if (index == null) {
            index = Features.indexOf(name.toStringUsingUTF8());
            featureIndex.put(name.copy(), index);
          }
          if (index >= 0 && p.getCurrentDefinitionLevel() == presentDefined) {
            snapshot.set(index, p.getBoolean());
          }
          g.consume();
          u.consume();
          f.consume();
          p.consume();
        }
      }
      if (snapshot != null) {
        out.accept(guestId, snapshot);
      }
    }
  }

  private static ColumnDescriptor column(MessageType schema, String name) {
    return schema.getColumnDescription(new String[] {name});
  }

  /** Values are taken from the column readers directly; the record assembly they could feed is unused. */
  private static final class Ignore extends GroupConverter {
    private final PrimitiveConverter nothing = new PrimitiveConverter() {};
    private final int fields;

    Ignore(int fields) {
      this.fields = fields;
    }

    @Override
    public Converter getConverter(int fieldIndex) {
      if (fieldIndex < 0 || fieldIndex >= fields) {
        throw new IllegalArgumentException("no field " + fieldIndex);
      }
      return nothing;
    }

    @Override
    public void start() {}

    @Override
    public void end() {}
  }
}
