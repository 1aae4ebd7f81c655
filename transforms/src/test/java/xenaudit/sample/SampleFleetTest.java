package xenaudit.sample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import xenaudit.format.CpuidLeaf;
import xenaudit.format.Finding;
import xenaudit.format.ImageReader;
import xenaudit.format.ImageReport;
import xenaudit.format.ImageStatus;
import xenaudit.format.MsrEntry;

/**
 * Generates the default fleet with every corruption class and checks the reader against the
 * manifest: verdict, required codes, and for valid images every identity and policy field.
 */
class SampleFleetTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path dir;
  static List<JsonNode> manifest;

  @BeforeAll
  static void generate() throws IOException {
    SampleFleet.generate(SampleFleet.Options.defaults(dir).withCorrupt(true));
    manifest = new ArrayList<>();
    for (String line : Files.readAllLines(SampleFleet.manifest(dir), StandardCharsets.UTF_8)) {
      manifest.add(JSON.readTree(line));
    }
  }

  @Test
  void manifestCoversFleetAndCorruptions() throws IOException {
    long guests = manifest.stream().filter(e -> e.get("corruption").isNull()).count();
    assertEquals(12, guests);
    assertEquals(Corruptions.all().size(), manifest.size() - guests);
    Set<String> classes = Corruptions.all().stream().map(Corruptions.Corruption::name).collect(Collectors.toSet());
    assertTrue(classes.containsAll(Corruptions.READER_DISAGREEMENTS.keySet()), "READER_DISAGREEMENTS names classes");
    Set<String> files = new TreeSet<>();
    try (var s = Files.list(dir)) {
      s.filter(Files::isRegularFile).map(p -> p.getFileName().toString()).forEach(files::add);
    }
    assertEquals(files, manifest.stream().map(e -> e.get("file").asText()).collect(Collectors.toCollection(TreeSet::new)));
    Set<String> seen = new TreeSet<>();
    for (JsonNode e : manifest) {
      if (e.get("corruption").isNull()) {
        seen.add(e.get("container").asText());
        seen.add(e.get("guest_type").asText());
        seen.add("v" + e.get("stream_version").asInt());
        seen.add(e.get("config_type").asText("none"));
      }
    }
    assertTrue(seen.containsAll(List.of("xl", "libxl", "libxc", "libvirt", "x86_hvm", "x86_pv", "v2", "v3")), seen.toString());
  }

  @Test
  void readerAgreesWithManifest() {
    List<String> problems = new ArrayList<>();
    for (JsonNode e : manifest) {
      String file = e.get("file").asText();
      ImageReport r = ImageReader.read(dir.resolve(file));
      List<String> p = compare(e, r);
      String corruption = e.get("corruption").isNull() ? null : e.get("corruption").asText();
      if (corruption != null && Corruptions.READER_DISAGREEMENTS.containsKey(corruption)) {
        // A known reader bug: insist it is still there, so the entry goes once the reader is fixed.
        if (p.isEmpty()) {
          problems.add(file + ": now agrees with the manifest; remove it from Corruptions.READER_DISAGREEMENTS");
        }
        continue;
      }
      if (!p.isEmpty()) {
        problems.add(file + ": " + String.join("; ", p) + "\n      "
            + r.findings().stream().map(Finding::toString).collect(Collectors.joining("\n      ")));
      }
    }
    assertTrue(problems.isEmpty(), problems.size() + " of " + manifest.size() + " images disagree:\n"
        + String.join("\n", problems));
  }

  /** Every difference between the manifest truth and the report. */
  static List<String> compare(JsonNode e, ImageReport r) {
    List<String> p = new ArrayList<>();
    boolean valid = e.get("expected_status").asText().equals("valid");
    ImageStatus want = valid ? ImageStatus.VALID : ImageStatus.INVALID;
    if (r.status() != want) {
      p.add("status " + r.status().label() + ", expected " + want.label());
    }
    Set<String> reported = r.findings().stream().map(f -> f.code().name()).collect(Collectors.toCollection(TreeSet::new));
    Set<String> expected = new TreeSet<>();
    e.get("expected_codes").forEach(c -> expected.add(c.asText()));
    if (!reported.containsAll(expected)) {
      Set<String> missing = new TreeSet<>(expected);
      missing.removeAll(reported);
      p.add("missing codes " + missing);
    }
    if (!valid) {
      return p;
    }
    if (!reported.equals(expected)) {
      Set<String> extra = new TreeSet<>(reported);
      extra.removeAll(expected);
      p.add("unexpected codes " + extra);
    }
    check(p, "container", e.get("container").asText(), r.container().label());
    check(p, "stream_version", e.get("stream_version").asInt(), r.streamVersion());
    check(p, "guest_type", e.get("guest_type").asText(), r.guestType() == null ? null : r.guestType().label());
    check(p, "xen_version", e.get("xen_version").asText(), r.xenVersion());
    check(p, "guest_name", text(e, "guest_name"), r.guestName());
    check(p, "guest_uuid", text(e, "guest_uuid"), r.guestUuid());
    check(p, "pages", e.get("pages").asLong(), r.pages());
    List<List<Long>> cpuid = new ArrayList<>();
    for (CpuidLeaf l : r.cpuid()) {
      cpuid.add(List.of(l.uLeaf(), l.uSubleaf(), l.uEax(), l.uEbx(), l.uEcx(), l.uEdx()));
    }
    List<List<Long>> cpuidWant = new ArrayList<>();
    for (JsonNode l : e.get("cpuid")) {
      List<Long> row = new ArrayList<>();
      l.forEach(x -> row.add(x.asLong()));
      cpuidWant.add(row);
    }
    check(p, "cpuid", cpuidWant, cpuid);
    List<List<BigInteger>> msr = new ArrayList<>();
    for (MsrEntry m : r.msr()) {
      msr.add(List.of(BigInteger.valueOf(m.uIndex()), BigInteger.valueOf(m.uFlags()), ManifestEntry.unsigned(m.value())));
    }
    List<List<BigInteger>> msrWant = new ArrayList<>();
    for (JsonNode m : e.get("msr")) {
      List<BigInteger> row = new ArrayList<>();
      m.forEach(x -> {
        assertTrue(x.isIntegralNumber() && x.bigIntegerValue().signum() >= 0, "msr numbers are unsigned integers");
        row.add(x.bigIntegerValue());
      });
      msrWant.add(row);
    }
    check(p, "msr", msrWant, msr);
    return p;
  }

  private static String text(JsonNode e, String k) {
    return e.get(k).isNull() ? null : e.get(k).asText();
  }

  private static void check(List<String> p, String what, Object want, Object got) {
    if (want == null ? got != null : !want.equals(got)) {
      p.add(what + " " + got + ", expected " + want);
    }
  }
}
