package xenaudit.transforms;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.values.KV;
import xenaudit.policy.FeatureSnapshot;
import xenaudit.policy.Features;
import xenaudit.policy.PoolBaseline;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTagList;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import xenaudit.format.ImageReader;
import xenaudit.format.ImageReport;
import xenaudit.sample.GuestImageWriter;
import xenaudit.sample.GuestSpec;

/**
 * ParseImageFn on a real (Direct) pipeline, published by PublishTables: good, damaged and vanished
 * objects all give rows, on the runner's thread and on parse threads of its own (small outputs
 * emitted while the bundle runs and at its end), and pool accumulators count each guest once.
 */
class ParseImageFnTest {
  @TempDir Path dir;

  /** Copies of the good image beside the three cases: enough to fill the parse threads' queue. */
  private static final int COPIES = 9;

  @ParameterizedTest(name = "parseThreads={0}")
  @ValueSource(ints = {1, 2, 5})
  void everyObjectGetsItsStreamsRowEvenWhenItCannotBeRead(int parseThreads) throws IOException {
    GuestSpec spec = GuestSpec.of("pipe-hvm", "0b4e1f3a-aaaa-4bbb-8ccc-000000000001").withMemory(4L << 20);
    Path good = dir.resolve("good.xl");
    GuestImageWriter.write(spec, good);
    Path empty = Files.createFile(dir.resolve("empty.xl"));
    Path gone = dir.resolve("vanished.xl");
    Files.write(gone, new byte[] {1, 2, 3});
    // Listed while it existed, deleted before it is read: as an object removed mid-audit.
    MatchResult.Metadata goneMeta = FileSystems.match(gone.toString()).metadata().get(0);
    Files.delete(gone);
    MatchResult.Metadata goodMeta = FileSystems.match(good.toString()).metadata().get(0);
    MatchResult.Metadata emptyMeta = FileSystems.match(empty.toString()).metadata().get(0);
    List<MatchResult.Metadata> objects = new ArrayList<>(List.of(goodMeta, emptyMeta, goneMeta));
    for (int i = 0; i < COPIES; i++) {
      Path copy = Files.copy(good, dir.resolve("copy-" + i + "-good.xl"));
      objects.add(FileSystems.match(copy.toString()).metadata().get(0));
    }

    Path out = dir.resolve("out");
    String temp = PublishTables.tempDirectory(out.toString(), "run-1");
    AuditSettings settings = AuditSettings.DEFAULTS.withAuditRunId("run-1").withParseThreads(parseThreads)
        .withPoolKey("/(copy)-\\d+-").withDrift(true);
    Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    PCollectionTuple audited = p.apply(Create.of(objects))
        .apply(FileIO.readMatches())
        .apply(ParDo.of(new ParseImageFn(settings, temp)).withOutputTags(ParseImageFn.TABLE_FILES_OUT,
            TupleTagList.of(ParseImageFn.POOLS_OUT).and(ParseImageFn.SNAPSHOTS_OUT)));
    audited.get(ParseImageFn.TABLE_FILES_OUT).setCoder(KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of()));
    audited.get(ParseImageFn.POOLS_OUT)
        .setCoder(KvCoder.of(StringUtf8Coder.of(), SerializableCoder.of(PoolBaseline.class)));
    audited.get(ParseImageFn.SNAPSHOTS_OUT)
        .setCoder(KvCoder.of(StringUtf8Coder.of(), FeatureSnapshotCoder.of()));
    audited.get(ParseImageFn.TABLE_FILES_OUT)
        .apply(PublishTables.to(out.toString(), temp, "2026-02-03", "t", AuditTables.ALWAYS));

    ImageReport expectedGood = ImageReader.read(good);
    // PAssert closures are serialized: capture plain values only.
    String uuid = spec.uuid();
    long goodBytesRead = expectedGood.bytesRead();
    int goodLeaves = expectedGood.cpuid().size();
    PAssert.that(audited.get(ParseImageFn.POOLS_OUT)).satisfies(it -> {
      long guests = 0;
      for (KV<String, PoolBaseline> kv : it) {
        assertEquals("copy", kv.getKey());
        guests += kv.getValue().guestCount();
      }
      assertEquals(COPIES, guests, "every copy is a v3 guest of pool 'copy', counted once");
      return null;
    });
    PAssert.that(audited.get(ParseImageFn.SNAPSHOTS_OUT)).satisfies(it -> {
      int n = 0;
      for (KV<String, FeatureSnapshot> kv : it) {
        n++;
      }
      assertEquals(3 + COPIES, n, "one snapshot per object");
      return null;
    });
    p.run().waitUntilFinish();

    List<GenericRecord> streams = ParquetRows.read(out.resolve(AuditTables.STREAMS));
    assertEquals(3 + COPIES, streams.size(), "one streams row per object");
    for (GenericRecord r : streams) {
      String uri = r.get("source_uri").toString();
      String status = r.get("status").toString();
      if (uri.endsWith("good.xl")) {
        assertEquals("valid", status);
        assertEquals(uuid, r.get("guest_id").toString());
        assertEquals(goodBytesRead, r.get("bytes_read"));
        assertEquals((long) goodLeaves, r.get("cpuid_leaf_count"));
      } else if (uri.endsWith("empty.xl")) {
        assertEquals("invalid", status);
        assertEquals(uri, r.get("guest_id").toString());
      } else {
        assertEquals("unreadable", status, uri);
        assertEquals(1L, r.get("error_count"));
        assertEquals("run-1", r.get("audit_run_id").toString());
      }
    }
    List<String> codes = new ArrayList<>();
    for (GenericRecord r : ParquetRows.read(out.resolve(AuditTables.FINDINGS))) {
      codes.add(r.get("code") + " " + r.get("source_uri"));
    }
    assertTrue(codes.stream().anyMatch(c -> c.startsWith("READ_ERROR") && c.endsWith("vanished.xl")), codes::toString);
    assertTrue(codes.stream().anyMatch(c -> c.startsWith("EMPTY_INPUT") && c.endsWith("empty.xl")), codes::toString);
    List<GenericRecord> cpuid = ParquetRows.read(out.resolve(AuditTables.CPUID_POLICY));
    assertEquals(goodLeaves * (1 + COPIES), cpuid.size());
    cpuid.forEach(r -> assertEquals(uuid, r.get("guest_id").toString()));
    assertEquals(Features.count() * (3 + COPIES), ParquetRows.read(out.resolve(AuditTables.CPUID_FEATURES)).size(),
        "every feature of every object");
    assertEquals(3 + COPIES, ParquetRows.read(out.resolve(AuditTables.GUEST_SECURITY)).size());
    assertFalse(Files.exists(Path.of(temp)), "the temporary files are gone once published");
  }
}
