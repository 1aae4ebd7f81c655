package xenaudit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import xenaudit.sample.CpuidProfiles.Variation;
import xenaudit.sample.GuestImageWriter;
import xenaudit.sample.GuestSpec;
import xenaudit.sample.Mark;
import xenaudit.sample.WrittenImage;

/** verify-image on generated images: --records lists what the writer wrote, --json the policy answers. */
class VerifyImageTest {
  static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path dir;

  static String run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int exit = VerifyImage.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), System.err);
    assertEquals(0, exit);
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void recordsListEveryHeaderAndRecordTheWriterWrote() throws Exception {
    GuestSpec spec = GuestSpec.of("rec", "0b4e1f3a-aaaa-4bbb-8ccc-000000000002").withMemory(8L << 20);
    Path f = dir.resolve("rec.xl");
    WrittenImage w = GuestImageWriter.write(spec, f);
    JsonNode j = JSON.readTree(run("--json", "--records", f.toString()));
    List<String> got = new ArrayList<>();
    for (JsonNode r : j.get("records")) {
      got.add(r.get("offset").asLong() + " " + r.get("type").asText());
    }
    List<String> written = new ArrayList<>();
    for (Mark m : w.marks()) {
      String kind = m.kind();
      if (kind.startsWith("libxc:") || kind.startsWith("libxl:")) {
        written.add(m.offset() + " " + kind.substring(6));
      } else if (kind.equals("libxl_header")) {
        written.add(m.offset() + " libxl_header");
      } else if (kind.equals("libxc_image_header")) {
        written.add(m.offset() + " image_header");
      } else if (kind.equals("libxc_domain_header")) {
        written.add(m.offset() + " domain_header");
      }
    }
    List<String> records = got.stream().filter(g -> !g.contains(" xl_")).toList();
    assertEquals(written, records, "every libxl and libxc structure, in stream order, at its offset");
    assertEquals("0 xl_header", got.get(0));
    JsonNode pageData = null;
    for (JsonNode r : j.get("records")) {
      if (r.get("type").asText().equals("PAGE_DATA")) {
        pageData = r;
        break;
      }
    }
    assertTrue(pageData.get("decode").asText().matches("count \\d+, \\d+ pages of data"), pageData.toString());
    String human = run("--records", f.toString());
    assertTrue(human.contains("X86_CPUID_POLICY") && human.contains(" leaves"), human);
  }

  @Test
  void jsonCarriesFeaturesAndVerdicts() throws Exception {
    GuestSpec spec = GuestSpec.of("sec", "0b4e1f3a-aaaa-4bbb-8ccc-000000000003").withMemory(4L << 20)
        .withVariations(EnumSet.of(Variation.RTM_EXPOSED, Variation.TAA_NO_MISSING, Variation.MD_CLEAR_MISSING));
    Path f = dir.resolve("sec.xl");
    GuestImageWriter.write(spec, f);
    JsonNode j = JSON.readTree(run("--json", f.toString()));
    List<String> features = new ArrayList<>();
    j.get("features").forEach(x -> features.add(x.asText()));
    assertTrue(features.contains("rtm") && features.contains("arch_caps") && !features.contains("md_clear")
        && !features.contains("taa_no"), features.toString());
    assertEquals("intel", j.get("vendor").asText());
    assertEquals("exposed", j.at("/verdicts/taa/verdict").asText(), j.get("verdicts").toString());
    assertEquals(xenaudit.policy.SecurityIssue.values().length, j.get("verdicts").size());
    // TSX on with TSX_CTRL offered: the guest's Linux turns TSX off itself.
    assertEquals("Mitigation: TSX disabled", j.at("/verdicts/taa/sysfs").asText(), j.get("verdicts").toString());
    assertEquals("tsx_async_abort", j.at("/verdicts/taa/linux_file").asText());
    assertEquals("intel", j.at("/verdicts/taa/scope").asText());
    assertEquals("Mitigation: PTI".equals(j.at("/verdicts/meltdown/sysfs").asText())
        || "Not affected".equals(j.at("/verdicts/meltdown/sysfs").asText()), true, j.get("verdicts").toString());
    assertTrue(j.at("/verdicts/taa/reason").asText().contains("TAA_NO"), j.get("verdicts").toString());

    GuestSpec v2 = spec.withXen(4, 13);
    Path old = dir.resolve("old.xl");
    GuestImageWriter.write(v2, old);
    JsonNode o = JSON.readTree(run("--json", old.toString()));
    assertEquals(0, o.get("features").size(), "a v2 stream has no policy");
    o.get("verdicts").forEach(v -> assertEquals("unknown", v.get("verdict").asText()));
    o.get("verdicts").forEach(v -> assertTrue(v.get("sysfs").isNull(), v.toString()));
  }
}
