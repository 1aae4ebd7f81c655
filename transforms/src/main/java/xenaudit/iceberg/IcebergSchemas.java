package xenaudit.iceberg;

import java.util.ArrayList;
import java.util.List;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Schema;
import org.apache.iceberg.avro.AvroSchemaUtil;
import org.apache.iceberg.mapping.MappingUtil;
import org.apache.iceberg.mapping.NameMappingParser;
import org.apache.iceberg.types.Types;
import xenaudit.transforms.AuditTables;

/**
 * A table's Iceberg schema: its Avro schema ({@code schemas/}) as Iceberg types, field docs kept,
 * longs still longs, nullable unions optional, then {@code audit_date} (a date), the identity
 * partition. Data files are the Parquet files the job writes; they carry no Iceberg field ids and
 * no {@code audit_date} column, so each table has a name mapping (Iceberg's way to read files
 * written without ids, as for imported Parquet) and readers take the date from the partition.
 */
public final class IcebergSchemas {
  public static final String DATE_COLUMN = AuditTables.DATE_KEY;

  private IcebergSchemas() {}

  public static Schema schema(String table) {
    Schema fromAvro = AvroSchemaUtil.toIceberg(AuditTables.schema(table));
    List<Types.NestedField> fields = new ArrayList<>(fromAvro.columns());
    int next = fromAvro.highestFieldId() + 1;
    fields.add(Types.NestedField.required(next, DATE_COLUMN, Types.DateType.get(),
        "The audit date (--auditDate), the table's partition."));
    return new Schema(fields);
  }

  public static PartitionSpec spec(Schema schema) {
    return PartitionSpec.builderFor(schema).identity(DATE_COLUMN).build();
  }

  /** The {@code schema.name-mapping.default} property for a table of this schema. */
  public static String nameMapping(Schema schema) {
    return NameMappingParser.toJson(MappingUtil.create(schema));
  }
}
