package xenaudit.iceberg;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.UUID;
import org.apache.iceberg.LocationProviders;
import org.apache.iceberg.TableMetadata;
import org.apache.iceberg.TableMetadataParser;
import org.apache.iceberg.TableOperations;
import org.apache.iceberg.exceptions.CommitFailedException;
import org.apache.iceberg.exceptions.ValidationException;
import org.apache.iceberg.io.FileIO;
import org.apache.iceberg.io.LocationProvider;

/**
 * An Iceberg table kept in a folder, in the layout of Iceberg's Hadoop catalog, so Spark, Trino,
 * Flink and PyIceberg read it as a Hadoop-catalog table (or by path) with nothing else running:
 *
 * <pre>
 * &lt;table&gt;/metadata/v&lt;N&gt;.metadata.json   every committed version, never overwritten
 * &lt;table&gt;/metadata/version-hint.text     N, the current version (a hint: readers look for N+1 too)
 * &lt;table&gt;/data/audit_date=D/...          data files
 * </pre>
 *
 * <p>The commit point is the creation of {@code v<N+1>.metadata.json}: a file that exists whole or
 * not at all (a local hard link of a complete file; one PUT on an object store). A process killed
 * before it leaves version N current; killed after it, the new version is current even if the hint
 * still says N, as Iceberg's own Hadoop tables read it. Locally a second writer of the same
 * version fails at the link; on an object store the existence check and the PUT are two requests,
 * so there one writer at a time may commit (xenaudit runs on one output one at a time).
 */
final class FileSystemTableOperations implements TableOperations {
  static final String METADATA = "metadata/";
  static final String VERSION_HINT = "version-hint.text";
  private final String location;
  private final BeamFileIO io = new BeamFileIO();
  private TableMetadata current;
  private int version;

  /** @param location the table's folder, without a trailing '/' */
  FileSystemTableOperations(String location) {
    this.location = location;
    refresh();
  }

  static String metadataFile(String location, int version) {
    return location + "/" + METADATA + "v" + version + ".metadata.json";
  }

  @Override
  public TableMetadata current() {
    return current;
  }

  @Override
  public TableMetadata refresh() {
    int v = readHint();
    while (BeamFileIO.stat(metadataFile(location, v + 1)) != null) {
      v++;
    }
    if (v == 0) {
      current = null;
    } else if (v != version || current == null) {
      current = TableMetadataParser.read(io, metadataFile(location, v));
    }
    version = v;
    return current;
  }

  private int readHint() {
    String hint = location + "/" + METADATA + VERSION_HINT;
    if (BeamFileIO.stat(hint) == null) {
      return 0;
    }
    try (InputStream in = io.newInputFile(hint).newStream()) {
      String text = new String(in.readNBytes(32), StandardCharsets.US_ASCII).trim();
      return Integer.parseInt(text);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + hint, e);
    } catch (NumberFormatException e) {
      throw new ValidationException("%s does not hold a version number", hint);
    }
  }

  @Override
  public void commit(TableMetadata base, TableMetadata metadata) {
    if (base != current) {
      throw new CommitFailedException("cannot commit to %s: its metadata changed since it was read", location);
    }
    if (base == metadata) {
      return;
    }
    int next = version + 1;
    String file = metadataFile(location, next);
    if (isLocal()) {
      Path target = Path.of(file);
      Path tmp = target.resolveSibling("." + UUID.randomUUID() + ".metadata.json.tmp");
      try {
        Files.createDirectories(target.getParent());
        TableMetadataParser.overwrite(metadata, io.newOutputFile(tmp.toString()));
        Files.createLink(target, tmp); // fails if another writer made this version first
      } catch (FileAlreadyExistsException e) {
        throw new CommitFailedException(e, "cannot commit to %s: version %d was committed by another writer", location,
            next);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot commit to " + location, e);
      } finally {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException e) {
          // a stray temporary file is not part of the table
        }
      }
    } else {
      try {
        TableMetadataParser.write(metadata, io.newOutputFile(file));
      } catch (org.apache.iceberg.exceptions.AlreadyExistsException e) {
        throw new CommitFailedException(e, "cannot commit to %s: version %d was committed by another writer", location,
            next);
      }
    }
    writeHint(next);
    refresh();
  }

  private void writeHint(int v) {
    String hint = location + "/" + METADATA + VERSION_HINT;
    byte[] text = Integer.toString(v).getBytes(StandardCharsets.US_ASCII);
    try {
      if (isLocal()) {
        Path target = Path.of(hint);
        Path tmp = target.resolveSibling("." + VERSION_HINT + "." + UUID.randomUUID() + ".tmp");
        Files.write(tmp, text);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } else {
        try (var out = io.newOutputFile(hint).createOrOverwrite()) {
          out.write(text);
        }
      }
    } catch (IOException e) {
      // The version is committed already; readers find it without the hint.
    }
  }

  private boolean isLocal() {
    return "file".equals(BeamFileIO.resource(location).getScheme());
  }

  @Override
  public FileIO io() {
    return io;
  }

  @Override
  public String metadataFileLocation(String fileName) {
    return location + "/" + METADATA + fileName;
  }

  @Override
  public LocationProvider locationProvider() {
    return LocationProviders.locationsFor(current.location(), current.properties());
  }
}
