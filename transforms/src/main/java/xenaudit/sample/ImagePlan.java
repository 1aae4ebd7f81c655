package xenaudit.sample;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * An image as an ordered, editable list of parts (headers, records, the memory records), written
 * in order by {@link #write}. {@link GuestImageWriter} builds a valid plan; corrupt images are made
 * by inserting, removing or replacing parts before writing.
 */
public final class ImagePlan {
  /** Part layers. */
  public static final String XL = "xl";
  public static final String LIBVIRT = "libvirt";
  public static final String LIBXL_HEADER = "libxl_header";
  public static final String LIBXL = "libxl";
  public static final String LIBXC_IMAGE_HEADER = "libxc_image_header";
  public static final String LIBXC_DOMAIN_HEADER = "libxc_domain_header";
  public static final String LIBXC = "libxc";
  /** All PAGE_DATA records of one memory pass. */
  public static final String MEMORY = "memory";
  public static final String TRAILER = "trailer";

  /** Writes one part. */
  @FunctionalInterface
  public interface PartWriter {
    void write(StreamWriter w) throws IOException;
  }

  /**
   * One part.
   *
   * @param layer one of the layer constants
   * @param type the record type for {@link #LIBXL} and {@link #LIBXC} parts, else -1
   */
  public record Part(String layer, long type, PartWriter writer) {
    public boolean is(String l, long t) {
      return layer.equals(l) && type == t;
    }

    @Override
    public String toString() {
      return layer.equals(LIBXC) ? "libxc:" + StreamWriter.libxcName(type)
          : layer.equals(LIBXL) ? "libxl:" + StreamWriter.libxlName(type) : layer;
    }
  }

  private final List<Part> parts = new ArrayList<>();

  public static Part part(String layer, PartWriter w) {
    return new Part(layer, -1, w);
  }

  public static Part libxc(long type, PartWriter w) {
    return new Part(LIBXC, type, w);
  }

  public static Part libxl(long type, PartWriter w) {
    return new Part(LIBXL, type, w);
  }

  /** The parts, editable. */
  public List<Part> parts() {
    return parts;
  }

  public ImagePlan add(Part p) {
    parts.add(p);
    return this;
  }

  /** Index of the first part of this layer and type (-1 for layers without type), or -1. */
  public int indexOf(String layer, long type) {
    for (int i = 0; i < parts.size(); i++) {
      if (parts.get(i).is(layer, type)) {
        return i;
      }
    }
    return -1;
  }

  public int lastIndexOf(String layer, long type) {
    for (int i = parts.size() - 1; i >= 0; i--) {
      if (parts.get(i).is(layer, type)) {
        return i;
      }
    }
    return -1;
  }

  /** Index of a part that must exist. */
  public int require(String layer, long type) {
    int i = indexOf(layer, type);
    if (i < 0) {
      throw new IllegalStateException("plan has no " + layer + " part of type " + type + ": " + parts);
    }
    return i;
  }

  public ImagePlan insert(int index, Part p) {
    parts.add(index, p);
    return this;
  }

  public ImagePlan replace(int index, Part p) {
    parts.set(index, p);
    return this;
  }

  public ImagePlan remove(int index) {
    parts.remove(index);
    return this;
  }

  /** Writes every part in order to {@code sink} and closes it. */
  public WrittenImage write(ImageSink sink) throws IOException {
    StreamWriter w = new StreamWriter(sink);
    try (sink) {
      for (Part p : parts) {
        p.writer().write(w);
      }
    }
    return new WrittenImage(sink.position(), w.pagesWritten(), w.marks());
  }

  public WrittenImage write(Path file) throws IOException {
    return write(FileImageSink.create(file));
  }
}
