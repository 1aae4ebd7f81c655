package xenaudit.iceberg;

import java.io.Serializable;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where the Iceberg tables of an output live. Without a catalog URI they are kept in folders under
 * the output in the layout of Iceberg's Hadoop catalog ({@code <output>/<namespace>/<table>/}),
 * so they need no service; with one, the REST catalog at that URI holds them.
 *
 * @param catalogUri a REST catalog's base URI, or null for the file-system catalog under the output
 * @param namespace the tables' namespace (one level)
 * @param catalogProperties more REST catalog properties ({@code warehouse}, {@code token}, ...)
 */
public record IcebergSettings(String catalogUri, String namespace, Map<String, String> catalogProperties)
    implements Serializable {
  public static final String DEFAULT_NAMESPACE = "xenaudit";

  public IcebergSettings {
    if (namespace == null || !namespace.matches("[A-Za-z_][A-Za-z0-9_]*")) {
      throw new IllegalArgumentException("--icebergNamespace " + namespace
          + " is not a plain name (letters, digits, '_'; not starting with a digit)");
    }
    catalogProperties = Map.copyOf(catalogProperties);
  }

  /** From the command line's {@code key=value} list. */
  public static IcebergSettings of(String catalogUri, String namespace, List<String> properties) {
    Map<String, String> props = new TreeMap<>();
    for (String p : properties == null ? List.<String>of() : properties) {
      int eq = p.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("--icebergCatalogProperties " + p + " is not key=value");
      }
      props.put(p.substring(0, eq).trim(), p.substring(eq + 1).trim());
    }
    String uri = catalogUri == null || catalogUri.isEmpty() ? null : catalogUri;
    if (uri == null && !props.isEmpty()) {
      throw new IllegalArgumentException("--icebergCatalogProperties are for a REST catalog: give --icebergCatalogUri too");
    }
    return new IcebergSettings(uri, namespace == null ? DEFAULT_NAMESPACE : namespace, props);
  }

  public boolean rest() {
    return catalogUri != null;
  }
}
