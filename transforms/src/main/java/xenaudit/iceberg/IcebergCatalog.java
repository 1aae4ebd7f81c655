package xenaudit.iceberg;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.iceberg.BaseTable;
import org.apache.iceberg.BaseTransaction;
import org.apache.iceberg.CatalogProperties;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Schema;
import org.apache.iceberg.SortOrder;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableMetadata;
import org.apache.iceberg.TableProperties;
import org.apache.iceberg.Transaction;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.TableCommit;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.expressions.Expressions;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.rest.RESTCatalog;
import org.apache.iceberg.types.Types;

/**
 * The Iceberg tables of one output: in folders under it (the layout of Iceberg's Hadoop catalog,
 * see {@link FileSystemTableOperations}), or in a REST catalog. Tables are created on first use
 * from the Avro schemas ({@link IcebergSchemas}); a table whose Avro schema gained columns (they are
 * only ever appended) gets them added, as a schema change of its own before the data.
 */
public final class IcebergCatalog implements Closeable {
  /** Snapshot summary keys: which run committed a snapshot, and for which date. */
  public static final String RUN_ID = "xenaudit.audit-run-id";
  public static final String AUDIT_DATE = "xenaudit.audit-date";
  /** The publish's own id: what a killed publish's journal is matched with when it is finished. */
  public static final String COMMIT_ID = "xenaudit.commit-id";

  private final IcebergSettings settings;
  private final String warehouse;
  private final RESTCatalog rest;
  private final Map<String, Table> open = new HashMap<>();

  private IcebergCatalog(IcebergSettings settings, String warehouse, RESTCatalog rest) {
    this.settings = settings;
    this.warehouse = warehouse;
    this.rest = rest;
  }

  /** Opens the catalog of {@code output}'s tables; nothing is created until a table is written. */
  public static IcebergCatalog open(IcebergSettings settings, String output) {
    if (!settings.rest()) {
      return new IcebergCatalog(settings, warehouse(output), null);
    }
    Map<String, String> props = new HashMap<>(settings.catalogProperties());
    props.put(CatalogProperties.URI, settings.catalogUri());
    props.putIfAbsent(CatalogProperties.FILE_IO_IMPL, BeamFileIO.class.getName());
    RESTCatalog c = new RESTCatalog();
    try {
      c.initialize("xenaudit", props);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("--icebergCatalogUri " + settings.catalogUri() + " cannot be used: "
          + e.getMessage(), e);
    }
    return new IcebergCatalog(settings, null, c);
  }

  /** The output as a warehouse location: absolute when local, no trailing '/'. */
  static String warehouse(String output) {
    ResourceId dir = FileSystems.matchNewResource(output.endsWith("/") ? output : output + "/", true);
    String s = "file".equals(dir.getScheme()) ? Path.of(dir.toString()).toAbsolutePath().toString() : dir.toString();
    return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
  }

  /** Where a file-system table lives: {@code <output>/<namespace>/<table>}. */
  public String location(String table) {
    return warehouse + "/" + settings.namespace() + "/" + table;
  }

  public TableIdentifier identifier(String table) {
    return TableIdentifier.of(Namespace.of(settings.namespace()), table);
  }

  /** The table, or null when it has never been written. */
  public Table load(String table) {
    Table t = open.get(table);
    if (t != null) {
      t.refresh();
      return t;
    }
    if (rest != null) {
      t = rest.tableExists(identifier(table)) ? rest.loadTable(identifier(table)) : null;
    } else {
      FileSystemTableOperations ops = new FileSystemTableOperations(location(table));
      t = ops.current() == null ? null : new BaseTable(ops, identifier(table).toString());
    }
    if (t != null) {
      open.put(table, t);
    }
    return t;
  }

  /** The table, created if it does not exist yet, with every column its Avro schema has. */
  public Table loadOrCreate(String table) {
    Schema want = IcebergSchemas.schema(table);
    Table t = load(table);
    if (t == null) {
      t = create(table, want);
    } else {
      check(table, t);
    }
    if (!missingColumns(t.schema(), want).isEmpty()) {
      t.updateSchema().unionByNameWith(want).commit();
    }
    String mapping = IcebergSchemas.nameMapping(t.schema());
    if (!mapping.equals(t.properties().get(TableProperties.DEFAULT_NAME_MAPPING))) {
      t.updateProperties().set(TableProperties.DEFAULT_NAME_MAPPING, mapping).commit();
    }
    open.put(table, t);
    return t;
  }

  private Table create(String table, Schema schema) {
    PartitionSpec spec = IcebergSchemas.spec(schema);
    Map<String, String> props = Map.of(TableProperties.FORMAT_VERSION, "2",
        TableProperties.DEFAULT_FILE_FORMAT, "parquet");
    if (rest != null) {
      if (!rest.namespaceExists(Namespace.of(settings.namespace()))) {
        try {
          rest.createNamespace(Namespace.of(settings.namespace()));
        } catch (org.apache.iceberg.exceptions.AlreadyExistsException e) {
          // made by another writer in between
        }
      }
      return rest.buildTable(identifier(table), schema).withPartitionSpec(spec).withProperties(props).create();
    }
    FileSystemTableOperations ops = new FileSystemTableOperations(location(table));
    ops.commit(null, TableMetadata.newTableMetadata(schema, spec, SortOrder.unsorted(), location(table), props));
    return new BaseTable(ops, identifier(table).toString());
  }

  private static void check(String table, Table t) {
    PartitionSpec spec = t.spec();
    boolean byDate = spec.fields().size() == 1 && spec.fields().get(0).transform().isIdentity()
        && IcebergSchemas.DATE_COLUMN.equals(t.schema().findColumnName(spec.fields().get(0).sourceId()));
    if (!byDate) {
      throw new IllegalStateException("Iceberg table " + t.name() + " is not partitioned by " + IcebergSchemas.DATE_COLUMN
          + " alone (its spec is " + spec + "): it is not one of xenaudit's tables");
    }
    if (t.schema().findField(IcebergSchemas.DATE_COLUMN).type().typeId() != Types.DateType.get().typeId()) {
      throw new IllegalStateException("Iceberg table " + t.name() + ": " + IcebergSchemas.DATE_COLUMN + " is not a date");
    }
  }

  static List<String> missingColumns(Schema have, Schema want) {
    List<String> missing = new ArrayList<>();
    for (Types.NestedField f : want.columns()) {
      if (have.findField(f.name()) == null) {
        missing.add(f.name());
      }
    }
    return missing;
  }

  /**
   * Commits one transaction per table: in a REST catalog all in one multi-table commit (it applies
   * all or none); in the file-system catalog one after another, in the order given.
   */
  public void commit(List<Transaction> transactions) {
    if (rest != null) {
      List<TableCommit> commits = new ArrayList<>();
      for (Transaction t : transactions) {
        BaseTransaction b = (BaseTransaction) t;
        commits.add(TableCommit.create(TableIdentifier.parse(identifierOf(b.tableName())), b.startMetadata(),
            b.currentMetadata()));
      }
      rest.commitTransaction(commits);
    } else {
      for (Transaction t : transactions) {
        t.commitTransaction();
      }
    }
    for (Table t : open.values()) {
      t.refresh();
    }
  }

  /** RESTCatalog names its tables "catalog.namespace.table". */
  private String identifierOf(String tableName) {
    String prefix = rest.name() + ".";
    return tableName.startsWith(prefix) ? tableName.substring(prefix.length()) : tableName;
  }

  /** The dates the table's current snapshot has rows (or files) for. */
  public TreeSet<String> dates(String table) throws IOException {
    TreeSet<String> dates = new TreeSet<>();
    Table t = load(table);
    if (t == null || t.currentSnapshot() == null) {
      return dates;
    }
    try (CloseableIterable<FileScanTask> tasks = t.newScan().planFiles()) {
      for (FileScanTask task : tasks) {
        dates.add(dateOf(task));
      }
    }
    return dates;
  }

  /** The data files of one date in the table's current snapshot (none when the table is missing). */
  public List<String> files(String table, String auditDate) throws IOException {
    List<String> files = new ArrayList<>();
    Table t = load(table);
    if (t == null || t.currentSnapshot() == null) {
      return files;
    }
    try (CloseableIterable<FileScanTask> tasks =
        t.newScan().filter(Expressions.equal(IcebergSchemas.DATE_COLUMN, auditDate)).planFiles()) {
      for (FileScanTask task : tasks) {
        if (dateOf(task).equals(auditDate)) {
          files.add(task.file().location());
        }
      }
    }
    files.sort(null);
    return files;
  }

  private static String dateOf(FileScanTask task) {
    Integer days = task.file().partition().get(0, Integer.class);
    return java.time.LocalDate.ofEpochDay(days).toString();
  }

  @Override
  public void close() throws IOException {
    if (rest != null) {
      rest.close();
    }
  }
}
