package xenaudit.transforms;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.generic.GenericRecord;
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
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import xenaudit.format.ImageReader;
import xenaudit.format.ImageReport;
import xenaudit.sample.GuestImageWriter;
import xenaudit.sample.GuestSpec;

/**
 * ParseImageFn on a real (Direct) pipeline: good, damaged and vanished objects all give rows, on
 * the runner's thread and on parse threads of its own (rows emitted while the bundle runs and at
 * its end).
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

    Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    PCollectionTuple rows = p.apply(Create.of(objects))
        .apply(FileIO.readMatches())
        .apply(ParDo.of(new ParseImageFn("run-1", 1000, false, -1, parseThreads)).withOutputTags(ParseImageFn.STREAMS_OUT,
            TupleTagList.of(ParseImageFn.CPUID_OUT).and(ParseImageFn.MSR_OUT).and(ParseImageFn.FINDINGS_OUT)));
    rows.get(ParseImageFn.STREAMS_OUT).setCoder(AvroCoder.of(GenericRecord.class, AuditTables.schema(AuditTables.STREAMS)));
    rows.get(ParseImageFn.CPUID_OUT).setCoder(AvroCoder.of(GenericRecord.class, AuditTables.schema(AuditTables.CPUID_POLICY)));
    rows.get(ParseImageFn.MSR_OUT).setCoder(AvroCoder.of(GenericRecord.class, AuditTables.schema(AuditTables.MSR_POLICY)));
    rows.get(ParseImageFn.FINDINGS_OUT).setCoder(AvroCoder.of(GenericRecord.class, AuditTables.schema(AuditTables.FINDINGS)));

    ImageReport expectedGood = ImageReader.read(good);
    // PAssert closures are serialized: capture plain values only.
    String uuid = spec.uuid();
    long goodBytesRead = expectedGood.bytesRead();
    int goodLeaves = expectedGood.cpuid().size();
    PAssert.that(rows.get(ParseImageFn.STREAMS_OUT)).satisfies(it -> {
      int n = 0;
      for (GenericRecord r : it) {
        n++;
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
      assertEquals(3 + COPIES, n, "one streams row per object");
      return null;
    });
    PAssert.that(rows.get(ParseImageFn.FINDINGS_OUT)).satisfies(it -> {
      boolean readError = false;
      boolean emptyInput = false;
      for (GenericRecord r : it) {
        readError |= r.get("code").toString().equals("READ_ERROR") && r.get("source_uri").toString().endsWith("vanished.xl");
        emptyInput |= r.get("code").toString().equals("EMPTY_INPUT") && r.get("source_uri").toString().endsWith("empty.xl");
      }
      assertEquals(true, readError, "the vanished object's READ_ERROR finding");
      assertEquals(true, emptyInput, "the empty object's EMPTY_INPUT finding");
      return null;
    });
    PAssert.that(rows.get(ParseImageFn.CPUID_OUT)).satisfies(it -> {
      int n = 0;
      for (GenericRecord r : it) {
        n++;
        assertEquals(uuid, r.get("guest_id").toString());
      }
      assertEquals(goodLeaves * (1 + COPIES), n);
      return null;
    });
    p.run().waitUntilFinish();
  }
}
