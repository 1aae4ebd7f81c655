package xenaudit.iceberg;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SeekableByteChannel;
import java.util.List;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.MoveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.util.MimeTypes;
import org.apache.iceberg.exceptions.AlreadyExistsException;
import org.apache.iceberg.exceptions.NotFoundException;
import org.apache.iceberg.io.FileIO;
import org.apache.iceberg.io.InputFile;
import org.apache.iceberg.io.OutputFile;
import org.apache.iceberg.io.PositionOutputStream;
import org.apache.iceberg.io.SeekableInputStream;

/**
 * Iceberg's file access through Beam's {@link FileSystems}: the same local paths and s3:// (with the
 * job's endpoint, credentials and path-style settings) the rest of the job uses, so a table needs
 * no Hadoop filesystem and no second S3 client. Beam must have been given the job's options first
 * ({@code FileSystems.setDefaultPipelineOptions}); a runner does that on its workers.
 */
public final class BeamFileIO implements FileIO {
  private static final long serialVersionUID = 1L;

  @Override
  public InputFile newInputFile(String path) {
    return new In(path, -1);
  }

  @Override
  public InputFile newInputFile(String path, long length) {
    return new In(path, length);
  }

  @Override
  public OutputFile newOutputFile(String path) {
    return new Out(path);
  }

  @Override
  public void deleteFile(String path) {
    try {
      FileSystems.delete(List.of(resource(path)), MoveOptions.StandardMoveOptions.IGNORE_MISSING_FILES);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + path, e);
    }
  }

  static ResourceId resource(String path) {
    return FileSystems.matchNewResource(path, false);
  }

  /** The file's metadata, or null when there is none. */
  static MatchResult.Metadata stat(String path) {
    try {
      MatchResult m = FileSystems.match(List.of(path), EmptyMatchTreatment.ALLOW).get(0);
      if (m.status() != MatchResult.Status.OK || m.metadata().isEmpty()) {
        return null;
      }
      return m.metadata().get(0);
    } catch (FileNotFoundException e) {
      return null;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot look up " + path, e);
    }
  }

  private static final class In implements InputFile {
    private final String path;
    private long length;

    In(String path, long length) {
      this.path = path;
      this.length = length;
    }

    @Override
    public long getLength() {
      if (length < 0) {
        MatchResult.Metadata m = stat(path);
        if (m == null) {
          throw new NotFoundException("file does not exist: %s", path);
        }
        length = m.sizeBytes();
      }
      return length;
    }

    @Override
    public SeekableInputStream newStream() {
      try {
        ReadableByteChannel ch = FileSystems.open(resource(path));
        if (!(ch instanceof SeekableByteChannel s)) {
          ch.close();
          throw new IOException(path + ": its filesystem cannot seek");
        }
        return new SeekableChannelStream(s);
      } catch (FileNotFoundException e) {
        throw new NotFoundException(e, "file does not exist: %s", path);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot open " + path, e);
      }
    }

    @Override
    public String location() {
      return path;
    }

    @Override
    public boolean exists() {
      return stat(path) != null;
    }
  }

  private static final class Out implements OutputFile {
    private final String path;

    Out(String path) {
      this.path = path;
    }

    /**
     * Fails when the file exists. Metadata files are never overwritten, so a second writer of the
     * same version is told so; on an object store the check and the write are two requests.
     */
    @Override
    public PositionOutputStream create() {
      if (stat(path) != null) {
        throw new AlreadyExistsException("file already exists: %s", path);
      }
      return createOrOverwrite();
    }

    @Override
    public PositionOutputStream createOrOverwrite() {
      try {
        return new ChannelOutputStream(Channels.newOutputStream(FileSystems.create(resource(path), MimeTypes.BINARY)));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create " + path, e);
      }
    }

    @Override
    public String location() {
      return path;
    }

    @Override
    public InputFile toInputFile() {
      return new In(path, -1);
    }
  }

  private static final class SeekableChannelStream extends SeekableInputStream {
    private final SeekableByteChannel ch;
    private final ByteBuffer one = ByteBuffer.allocate(1);

    SeekableChannelStream(SeekableByteChannel ch) {
      this.ch = ch;
    }

    @Override
    public long getPos() throws IOException {
      return ch.position();
    }

    @Override
    public void seek(long pos) throws IOException {
      ch.position(pos);
    }

    @Override
    public int read() throws IOException {
      one.clear();
      int n;
      do {
        n = ch.read(one);
      } while (n == 0);
      return n < 0 ? -1 : one.get(0) & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      int n;
      ByteBuffer buf = ByteBuffer.wrap(b, off, len);
      do {
        n = ch.read(buf);
      } while (n == 0);
      return n;
    }

    @Override
    public void close() throws IOException {
      if (ch.isOpen()) {
        ch.close();
      }
    }
  }

  private static final class ChannelOutputStream extends PositionOutputStream {
    private final OutputStream out;
    private long pos;
    private boolean closed;

    ChannelOutputStream(OutputStream out) {
      this.out = out;
    }

    @Override
    public long getPos() {
      return pos;
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      pos++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      pos += len;
    }

    @Override
    public void flush() throws IOException {
      out.flush();
    }

    /** Once only: Iceberg's writers may close twice, and a second close of an S3 upload fails. */
    @Override
    public void close() throws IOException {
      if (!closed) {
        closed = true;
        out.close();
      }
    }
  }
}
