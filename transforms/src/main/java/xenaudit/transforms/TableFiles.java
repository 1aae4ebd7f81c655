package xenaudit.transforms;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.io.parquet.ParquetIO;
import org.apache.beam.sdk.util.MimeTypes;
import org.apache.beam.sdk.values.KV;

/**
 * Parquet files of one writer (one thread of one bundle), one per table it has rows for, in the
 * job's temporary directory; {@link PublishTables} moves them into place once the job's writes are
 * done. Rows go to the file as they are made: nothing waits in memory for a shuffle, so the heap
 * does not grow with the fleet.
 *
 * <p>On an object store (the temporary directory is not local) each file is written to local disk
 * first and uploaded whole when the writer finishes: an upload channel holds a buffer of its own
 * (Beam's S3 one, 64 MiB), and one per open table and parse thread would need gigabytes of heap.
 * Finished one after another, the uploads need one buffer.
 *
 * <p>Not thread-safe: one thread writes at a time. {@link #row(String)} hands out the table's one
 * reusable record: the Parquet writer copies its values into column buffers on {@link #write}.
 */
final class TableFiles {
  /** Bytes buffered per table before a row group is flushed; bounds memory per open file. */
  static final int ROW_GROUP_BYTES = 8 << 20;

  private final String tempDirectory;
  private final boolean spool;
  /** Remote path → local file it is written to first (object stores only). */
  private final Map<String, Path> spooled = new LinkedHashMap<>();
  private final Map<String, ParquetIO.Sink> sinks = new HashMap<>();
  private final Map<String, GenericRecord> reusable = new HashMap<>();
  private final List<KV<String, String>> written = new ArrayList<>();

  /** @param tempDirectory where the files go, ending in '/' (a local path or any Beam URI) */
  TableFiles(String tempDirectory) {
    this.tempDirectory = tempDirectory;
    this.spool = !PartitionPublisher.isLocal(tempDirectory);
  }

  /** The table's reusable record, fields as the previous row left them. */
  GenericRecord row(String table) {
    return reusable.computeIfAbsent(table, t -> new GenericData.Record(AuditTables.schema(t)));
  }

  void write(String table, GenericRecord row) throws IOException {
    ParquetIO.Sink sink = sinks.get(table);
    if (sink == null) {
      sink = open(table);
      sinks.put(table, sink);
    }
    sink.write(row);
  }

  private ParquetIO.Sink open(String table) throws IOException {
    String path = tempDirectory + table + "/" + UUID.randomUUID() + ".parquet";
    ResourceId file = FileSystems.matchNewResource(path, false);
    ParquetIO.Sink sink = ParquetIO.sink(AuditTables.schema(table)).withRowGroupSize(ROW_GROUP_BYTES);
    WritableByteChannel ch;
    if (spool) {
      Path local = Files.createTempFile("xenaudit-" + table + "-", ".parquet");
      spooled.put(path, local);
      ch = FileChannel.open(local, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
    } else {
      ch = FileSystems.create(file, MimeTypes.BINARY);
    }
    try {
      sink.open(ch);
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
    written.add(KV.of(table, path));
    return sink;
  }

  private static void upload(Path local, String remote) throws IOException {
    try (FileChannel in = FileChannel.open(local, StandardOpenOption.READ);
        WritableByteChannel out = FileSystems.create(FileSystems.matchNewResource(remote, false), MimeTypes.BINARY)) {
      ByteBuffer buf = ByteBuffer.allocate(1 << 20);
      while (in.read(buf) >= 0) {
        buf.flip();
        while (buf.hasRemaining()) {
          out.write(buf);
        }
        buf.clear();
      }
    }
  }

  /** Closes every file (the Parquet writer closes its channel) and returns (table, path) of each. */
  List<KV<String, String>> finish() throws IOException {
    IOException first = null;
    for (ParquetIO.Sink s : sinks.values()) {
      try {
        s.flush();
      } catch (IOException e) {
        first = first == null ? e : first;
      }
    }
    sinks.clear();
    try {
      if (first != null) {
        // A file that did not close is not complete: the bundle fails and is retried, never published.
        throw first;
      }
      for (Map.Entry<String, Path> f : spooled.entrySet()) {
        upload(f.getValue(), f.getKey());
      }
    } finally {
      for (Path local : spooled.values()) {
        Files.deleteIfExists(local);
      }
      spooled.clear();
    }
    List<KV<String, String>> out = new ArrayList<>(written);
    written.clear();
    return out;
  }
}
