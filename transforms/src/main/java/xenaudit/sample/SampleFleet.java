package xenaudit.sample;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import xenaudit.format.Container;
import xenaudit.sample.CpuidProfiles.Model;
import xenaudit.sample.CpuidProfiles.Variation;
import xenaudit.sample.GuestSpec.Kind;

/**
 * {@code make-sample-fleet --out DIR [--guests N] [--seed S] [--memory SIZE] [--corrupt] [--security-mix]}: writes a
 * deterministic fleet of realistic Xen save images (sparse files) and {@code DIR/truth/manifest.jsonl},
 * the truth about each image. With {@code --corrupt} it adds one image per {@link Corruptions}
 * class.
 */
public final class SampleFleet {
  public static final String MANIFEST = "manifest.jsonl";
  /**
   * The manifest's folder inside the fleet's: {@code --input='DIR/*'} matches files only, so it
   * takes exactly the images, never the manifest.
   */
  public static final String TRUTH = "truth";

  /** {@code DIR/truth/manifest.jsonl}: where the manifest of a fleet written to {@code dir} is. */
  public static Path manifest(Path dir) {
    return dir.resolve(TRUTH).resolve(MANIFEST);
  }

  /** What to generate. */
  public record Options(Path out, int guests, long seed, long memoryBytes, boolean corrupt, boolean securityMix) {
    public Options(Path out, int guests, long seed, long memoryBytes, boolean corrupt) {
      this(out, guests, seed, memoryBytes, corrupt, false);
    }

    public static Options defaults(Path out) {
      return new Options(out, 12, 1, 64L << 20, false);
    }

    /** Every CPU model and the security variations (the *_NO bits and their mitigations) too. */
    public Options withSecurityMix(boolean mix) {
      return new Options(out, guests, seed, memoryBytes, corrupt, mix);
    }

    public Options withCorrupt(boolean c) {
      return new Options(out, guests, seed, memoryBytes, c, securityMix);
    }

    public Options withGuests(int n) {
      return new Options(out, n, seed, memoryBytes, corrupt, securityMix);
    }

    public Options withMemory(long bytes) {
      return new Options(out, guests, seed, bytes, corrupt, securityMix);
    }

    public Options withSeed(long s) {
      return new Options(out, guests, s, memoryBytes, corrupt, securityMix);
    }
  }

  private static final String[] ROLES = {
    "web", "db", "mail", "build", "cache", "dns", "vpn", "ci", "ldap", "proxy", "git", "mon", "kafka", "win"};
  private static final Container[] CONTAINERS = {Container.XL, Container.LIBVIRT, Container.LIBXL, Container.LIBXC};

  private SampleFleet() {}

  /** The fleet's guests: a deterministic mix of containers, guest types, Xen versions and CPUs. */
  public static List<GuestSpec> fleet(int guests, long seed, long memoryBytes) {
    return fleet(guests, seed, memoryBytes, false);
  }

  /**
   * The same; with {@code securityMix}, the CPUs are drawn from every model (Skylake, Cascade Lake,
   * Ice Lake and Sapphire Rapids; Zen 1 to 4) and each security variation (GDS_NO, TSA_NO, ...)
   * is drawn with a chance of one in three from a random stream of its own.
   */
  public static List<GuestSpec> fleet(int guests, long seed, long memoryBytes, boolean securityMix) {
    Random r = new Random(seed);
    Random security = new Random(seed * 0x9E3779B97F4A7C15L + 0x5EC);
    List<GuestSpec> out = new ArrayList<>(guests);
    int containerOffset = r.nextInt(CONTAINERS.length);
    int kindOffset = r.nextInt(3);
    for (int i = 0; i < guests; i++) {
      Container c = i < CONTAINERS.length
          ? CONTAINERS[(i + containerOffset) % CONTAINERS.length]
          : pick(r, new Container[] {Container.XL, Container.XL, Container.XL, Container.LIBVIRT, Container.LIBVIRT,
              Container.LIBXL, Container.LIBXC});
      Kind k = i < 6 ? Kind.values()[(i + kindOffset) % 3]
          : pick(r, new Kind[] {Kind.HVM, Kind.HVM, Kind.HVM, Kind.PV, Kind.PV, Kind.PVH});
      int minor = i % 3 == 1 ? 6 + r.nextInt(8) : 14 + r.nextInt(8); // v2: 4.6-4.13, v3: 4.14-4.21
      List<Model> models = i % 2 == 0
          ? securityMix ? Model.ALL_INTEL : Model.DEFAULT_INTEL
          : securityMix ? Model.ALL_AMD : Model.DEFAULT_AMD;
      Model m = models.get(r.nextInt(models.size()));
      int vcpus = pick(r, new Integer[] {1, 2, 2, 4, 4, 8});
      EnumSet<Variation> v = EnumSet.noneOf(Variation.class);
      for (Variation x : Variation.values()) {
        // Drawn from the uuid below, not from r: fleets of earlier seeds keep their other choices.
        if (x != Variation.HLE_REQUEST_IGNORED && !Variation.SECURITY.contains(x) && r.nextInt(4) == 0) {
          v.add(x);
        }
      }
      for (Variation x : Variation.SECURITY) {
        if (securityMix && security.nextInt(3) == 0) {
          v.add(x);
        }
      }
      int width = k == Kind.PV && memoryBytes <= (4L << 30) && r.nextInt(5) == 0 ? 4 : 8;
      boolean physmap = r.nextBoolean();
      String name = ROLES[r.nextInt(ROLES.length)] + "-" + String.format("%02d", i + 1);
      String id = uuid(r);
      if ((id.hashCode() & 7) == 0) {
        v.add(Variation.HLE_REQUEST_IGNORED);
      }
      out.add(new GuestSpec(name, id, c, k, 4, minor, memoryBytes, vcpus, m, v, width, physmap, r.nextLong()));
    }
    return out;
  }

  private static <T> T pick(Random r, T[] choices) {
    return choices[r.nextInt(choices.length)];
  }

  /** A random (version 4) UUID in libxl's lowercase format. */
  static String uuid(Random r) {
    long hi = r.nextLong() & ~0xF000L | 0x4000L;
    long lo = r.nextLong() & ~(0xC000L << 48) | (0x8000L << 48);
    return String.format("%08x-%04x-%04x-%04x-%012x", hi >>> 32, (hi >>> 16) & 0xFFFF, hi & 0xFFFF,
        lo >>> 48, lo & 0xFFFFFFFFFFFFL);
  }

  /** File name of fleet guest {@code i} (0-based): guest-0001.xl, ... */
  public static String fileName(int i, GuestSpec s) {
    return String.format("guest-%04d.%s", i + 1, s.container().label());
  }

  /** Writes the fleet, the corrupt images if asked, and the manifest; returns the manifest entries. */
  public static List<ManifestEntry> generate(Options o) throws IOException {
    Files.createDirectories(o.out());
    List<ManifestEntry> entries = new ArrayList<>();
    List<GuestSpec> specs = fleet(o.guests(), o.seed(), o.memoryBytes(), o.securityMix());
    for (int i = 0; i < specs.size(); i++) {
      GuestSpec s = specs.get(i);
      String name = fileName(i, s);
      entries.add(ManifestEntry.of(name, s, GuestImageWriter.write(s, o.out().resolve(name))));
    }
    if (o.corrupt()) {
      Corruptions.Bases bases = Corruptions.Bases.of(o.seed(), o.memoryBytes());
      for (Corruptions.Corruption c : Corruptions.all()) {
        String name = c.fileName();
        Path f = o.out().resolve(name);
        ManifestEntry e = c.maker().make(bases, f, name);
        long size = Files.size(f);
        if (size != e.sizeBytes()) {
          throw new IllegalStateException(name + ": manifest says " + e.sizeBytes() + " bytes, file has " + size);
        }
        String container = switch (c.extension()) {
          case "bin" -> c.name().startsWith("legacy") ? Container.LEGACY.label() : e.container();
          default -> c.extension();
        };
        e = e.withStream(container, e.streamVersion(), e.guestType(), e.xenVersion());
        entries.add(e.withExpected(c.valid(), c.codes(), c.name()));
      }
    }
    ObjectMapper mapper = new ObjectMapper();
    Files.createDirectories(manifest(o.out()).getParent());
    try (BufferedWriter w = Files.newBufferedWriter(manifest(o.out()), StandardCharsets.UTF_8)) {
      for (ManifestEntry e : entries) {
        w.write(e.toJsonLine(mapper));
        w.write('\n');
      }
    }
    return entries;
  }

  private static final Pattern SIZE =
      Pattern.compile("(?i)\\s*(\\d+(?:\\.\\d+)?)\\s*(|b|k|kb|kib|m|mb|mib|g|gb|gib|t|tb|tib)\\s*");

  /**
   * Parses a memory size: a number with an optional binary unit (K, M, G, T, with or without B or
   * iB: 64M, 8G, 64GiB, 1.5G). The result must be a whole number of bytes.
   */
  public static long parseSize(String s) {
    Matcher m = SIZE.matcher(s);
    if (!m.matches()) {
      throw new IllegalArgumentException("not a size: \"" + s + "\" (try 64M, 8G, 64GiB)");
    }
    String unit = m.group(2).toLowerCase(Locale.ROOT);
    int shift = unit.isEmpty() || unit.equals("b") ? 0
        : switch (unit.charAt(0)) {
          case 'k' -> 10;
          case 'm' -> 20;
          case 'g' -> 30;
          default -> 40;
        };
    BigDecimal bytes = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(2).pow(shift));
    try {
      return bytes.longValueExact();
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException("size " + s + " is not a whole number of bytes (or is too large)");
    }
  }

  static String usage() {
    return "usage: make-sample-fleet --out DIR [--guests N] [--seed S] [--memory SIZE] [--corrupt]\n"
        + "       [--security-mix]\n"
        + "  --guests N     valid guest images (default 12)\n"
        + "  --seed S       the fleet is a function of the seed (default 1)\n"
        + "  --memory SIZE  guest RAM, e.g. 64M, 8G, 64GiB (default 64M); files are sparse\n"
        + "  --corrupt      also write one image per corruption class the reader detects\n"
        + "  --security-mix draw CPUs from Skylake, Cascade Lake, Ice Lake, Sapphire Rapids and Zen 1-4,\n"
        + "                 each guest with or without the *_NO bits (GDS_NO, TSA_NO, SRSO_NO, ...)\n"
        + "Writes DIR/guest-NNNN.{xl,libxl,libxc,libvirt}, DIR/corrupt-*.* and DIR/truth/manifest.jsonl.";
  }

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    Options o;
    try {
      o = parse(args);
    } catch (IllegalArgumentException e) {
      err.println("make-sample-fleet: " + e.getMessage() + "\n" + usage());
      return 2;
    }
    if (o == null) {
      out.println(usage());
      return 0;
    }
    try {
      List<ManifestEntry> entries = generate(o);
      long bytes = entries.stream().mapToLong(ManifestEntry::sizeBytes).sum();
      long corrupt = entries.stream().filter(e -> e.corruption() != null).count();
      out.printf("wrote %d images (%d guests, %d corruption classes; %s apparent size) and %s to %s%n",
          entries.size(), entries.size() - corrupt, corrupt, human(bytes), TRUTH + "/" + MANIFEST, o.out());
      return 0;
    } catch (IOException | RuntimeException e) {
      err.println("make-sample-fleet: " + e);
      return 1;
    }
  }

  /** Null for --help. */
  static Options parse(String[] args) {
    Path outDir = null;
    int guests = 12;
    long seed = 1;
    long memory = 64L << 20;
    boolean corrupt = false;
    boolean securityMix = false;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      String value = null;
      int eq = a.indexOf('=');
      if (a.startsWith("--") && eq > 0) {
        value = a.substring(eq + 1);
        a = a.substring(0, eq);
      }
      switch (a) {
        case "-h", "--help" -> {
          return null;
        }
        case "--corrupt" -> corrupt = true;
        case "--security-mix" -> securityMix = true;
        case "--out", "--guests", "--seed", "--memory" -> {
          if (value == null) {
            if (i + 1 >= args.length) {
              throw new IllegalArgumentException(a + " needs a value");
            }
            value = args[++i];
          }
          switch (a) {
            case "--out" -> outDir = Path.of(value);
            case "--guests" -> guests = parseInt(a, value, 0);
            case "--seed" -> seed = parseLong(a, value);
            default -> memory = parseSize(value);
          }
        }
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    if (outDir == null) {
      throw new IllegalArgumentException("--out DIR is required");
    }
    if (memory % GuestSpec.PAGE_SIZE != 0 || memory < (2L << 20)) {
      throw new IllegalArgumentException("--memory must be a multiple of 4 KiB and at least 2M: " + memory);
    }
    return new Options(outDir, guests, seed, memory, corrupt, securityMix);
  }

  private static int parseInt(String opt, String v, int min) {
    try {
      int n = Integer.parseInt(v);
      if (n < min) {
        throw new IllegalArgumentException(opt + " must be at least " + min + ": " + v);
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(opt + " needs a number: " + v);
    }
  }

  private static long parseLong(String opt, String v) {
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(opt + " needs a number: " + v);
    }
  }

  static String human(long bytes) {
    String[] u = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    double v = bytes;
    int i = 0;
    while (v >= 1024 && i < u.length - 1) {
      v /= 1024;
      i++;
    }
    return String.format(Locale.ROOT, i == 0 ? "%.0f %s" : "%.1f %s", v, u[i]);
  }
}
