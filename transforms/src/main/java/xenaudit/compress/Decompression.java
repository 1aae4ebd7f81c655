package xenaudit.compress;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.Optional;
import xenaudit.format.ByteSource;
import xenaudit.format.ImageReader;
import xenaudit.format.ImageReport;
import xenaudit.format.ReadOptions;
import xenaudit.format.RecordObserver;
import xenaudit.format.SkippableChannel;

/** The archive compressions read natively, in bulk, by the audit (others go through Beam). */
public enum Decompression {
  GZIP(".gz"),
  ZSTD(".zst");

  private final String suffix;

  Decompression(String suffix) {
    this.suffix = suffix;
  }

  /** The compression a file name implies, as Beam's AUTO detection would choose it. */
  public static Optional<Decompression> forName(String name) {
    String lower = name.toLowerCase(Locale.ROOT);
    for (Decompression d : values()) {
      if (lower.endsWith(d.suffix)) {
        return Optional.of(d);
      }
    }
    return Optional.empty();
  }

  /** Wraps the raw (compressed) channel; closing the result closes it. */
  public SkippableChannel open(ReadableByteChannel raw) throws IOException {
    try {
      return switch (this) {
        case GZIP -> new GzipChannel(raw);
        case ZSTD -> new ZstdChannel(raw);
      };
    } catch (IOException | RuntimeException e) {
      raw.close(); // e.g. no gzip header: the caller never gets a channel to close
      throw e;
    }
  }

  /**
   * Audits a local file, decompressing {@code .gz} and {@code .zst} on the fly (offsets in the
   * report then refer to the uncompressed image).
   */
  public static ImageReport readImage(Path file, ReadOptions options) {
    return readImage(file, options, RecordObserver.NONE);
  }

  /** As above, telling {@code observer} of every header and record. */
  public static ImageReport readImage(Path file, ReadOptions options, RecordObserver observer) {
    Optional<Decompression> compression = forName(file.getFileName().toString());
    try (ReadableByteChannel ch = compression.isEmpty() ? FileChannel.open(file, StandardOpenOption.READ)
        : compression.get().open(FileChannel.open(file, StandardOpenOption.READ))) {
      ByteSource in = compression.isEmpty() ? ByteSource.of(ch) : ByteSource.streaming(ch);
      return ImageReader.read(file.toString(), in, options, observer);
    } catch (IOException | SecurityException e) {
      return ImageReader.unreadable(file.toString(), e, options);
    }
  }
}
