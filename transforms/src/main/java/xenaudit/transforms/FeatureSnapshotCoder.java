package xenaudit.transforms;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import xenaudit.policy.FeatureSnapshot;

/**
 * A {@link FeatureSnapshot} as its source URI and two bit sets: about a hundred bytes, where Java
 * serialization would spend several times that and its CPU on class descriptors, once per guest.
 */
public final class FeatureSnapshotCoder extends AtomicCoder<FeatureSnapshot> {
  private static final FeatureSnapshotCoder INSTANCE = new FeatureSnapshotCoder();
  private static final int MAX_WORDS = 64;

  public static FeatureSnapshotCoder of() {
    return INSTANCE;
  }

  private FeatureSnapshotCoder() {}

  @Override
  public void encode(FeatureSnapshot s, OutputStream out) throws IOException {
    StringUtf8Coder.of().encode(s.sourceUri(), out);
    long[] known = s.knownBits();
    long[] present = s.presentBits();
    DataOutputStream d = new DataOutputStream(out);
    d.writeByte(known.length);
    for (int i = 0; i < known.length; i++) {
      d.writeLong(known[i]);
      d.writeLong(present[i]);
    }
    d.flush();
  }

  @Override
  public FeatureSnapshot decode(InputStream in) throws IOException {
    String uri = StringUtf8Coder.of().decode(in);
    DataInputStream d = new DataInputStream(in);
    int words = d.readUnsignedByte();
    if (words > MAX_WORDS) {
      throw new IOException("a feature snapshot of " + words + " words: not one this coder wrote");
    }
    long[] known = new long[words];
    long[] present = new long[words];
    for (int i = 0; i < words; i++) {
      known[i] = d.readLong();
      present[i] = d.readLong();
    }
    return FeatureSnapshot.fromBits(uri, known, present);
  }

  @Override
  public void verifyDeterministic() {}
}
