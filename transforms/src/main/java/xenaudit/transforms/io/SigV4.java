package xenaudit.transforms.io;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * AWS Signature Version 4 for S3 requests without a body (GET), as the S3 API reference describes
 * it ("Authenticating Requests: Using the Authorization Header"):
 *
 * <pre>
 * canonical request = METHOD \n URI-encoded path \n canonical query \n
 *                     lower-case name:trimmed value \n (per signed header, sorted) \n
 *                     signed header names joined by ; \n payload hash
 * string to sign    = AWS4-HMAC-SHA256 \n amz-date \n yyyymmdd/region/s3/aws4_request \n
 *                     hex(SHA-256(canonical request))
 * signing key       = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, yyyymmdd), region), "s3"), "aws4_request")
 * signature         = hex(HMAC(signing key, string to sign))
 * </pre>
 *
 * The signing key is derived once per day and secret, not per request. Not thread-safe: one per
 * channel (it holds a digest and a MAC).
 */
final class SigV4 {
  /** SHA-256 of the empty body: what a GET's {@code x-amz-content-sha256} header carries. */
  static final String EMPTY_PAYLOAD_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

  private static final String ALGORITHM = "AWS4-HMAC-SHA256";
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private final String region;
  private final MessageDigest sha256;
  private final Mac hmac;
  private String keyDay;
  private String keySecret;
  private byte[] signingKey;

  String region() {
    return region;
  }

  SigV4(String region) {
    this.region = region;
    try {
      this.sha256 = MessageDigest.getInstance("SHA-256");
      this.hmac = Mac.getInstance("HmacSHA256");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK lacks SHA-256 or HmacSHA256", e);
    }
  }

  /** {@code x-amz-date} for an instant: {@code yyyyMMdd'T'HHmmss'Z'} in UTC. */
  static String amzDate(long epochSecond) {
    LocalDateTime t = LocalDateTime.ofEpochSecond(epochSecond, 0, ZoneOffset.UTC);
    StringBuilder b = new StringBuilder(16);
    pad(b, t.getYear(), 4).append(two(t.getMonthValue())).append(two(t.getDayOfMonth())).append('T');
    return b.append(two(t.getHour())).append(two(t.getMinute())).append(two(t.getSecond())).append('Z').toString();
  }

  /**
   * The {@code Authorization} header value of a request whose canonical headers (already sorted,
   * lower-case names, each line ending in \n) and signed header names are given.
   */
  String authorization(String accessKey, String secretKey, String amzDate, String method, String canonicalPath,
      String canonicalHeaders, String signedHeaders) {
    String day = amzDate.substring(0, 8);
    String scope = day + "/" + region + "/s3/aws4_request";
    String canonicalRequest = method + "\n" + canonicalPath + "\n\n" + canonicalHeaders + "\n" + signedHeaders
        + "\n" + EMPTY_PAYLOAD_SHA256;
    String toSign = ALGORITHM + "\n" + amzDate + "\n" + scope + "\n"
        + hex(sha256.digest(canonicalRequest.getBytes(StandardCharsets.UTF_8)));
    byte[] signature = hmac(signingKey(day, secretKey), toSign);
    return ALGORITHM + " Credential=" + accessKey + "/" + scope + ", SignedHeaders=" + signedHeaders
        + ", Signature=" + hex(signature);
  }

  private byte[] signingKey(String day, String secretKey) {
    if (!day.equals(keyDay) || !secretKey.equals(keySecret)) {
      byte[] k = hmac(("AWS4" + secretKey).getBytes(StandardCharsets.UTF_8), day);
      k = hmac(k, region);
      k = hmac(k, "s3");
      signingKey = hmac(k, "aws4_request");
      keyDay = day;
      keySecret = secretKey;
    }
    return signingKey;
  }

  private byte[] hmac(byte[] key, String data) {
    try {
      hmac.init(new SecretKeySpec(key, "HmacSHA256"));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
    return hmac.doFinal(data.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * A key or bucket as S3 wants it in the canonical (and the sent) path: every byte of its UTF-8
   * form percent-encoded except unreserved characters and {@code /}. S3 does not normalise paths,
   * so {@code //} and {@code .} segments stay as they are.
   */
  static String encodePath(String s) {
    byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
    StringBuilder b = new StringBuilder(utf8.length + 16);
    for (byte x : utf8) {
      int c = x & 0xff;
      if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
          || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
        b.append((char) c);
      } else {
        b.append('%').append(Character.toUpperCase(HEX[c >> 4])).append(Character.toUpperCase(HEX[c & 15]));
      }
    }
    return b.toString();
  }

  static String hex(byte[] bytes) {
    char[] c = new char[bytes.length * 2];
    for (int i = 0; i < bytes.length; i++) {
      c[2 * i] = HEX[(bytes[i] >> 4) & 15];
      c[2 * i + 1] = HEX[bytes[i] & 15];
    }
    return new String(c);
  }

  private static String two(int v) {
    return v < 10 ? "0" + v : Integer.toString(v);
  }

  private static StringBuilder pad(StringBuilder b, int v, int width) {
    String s = Integer.toString(v);
    for (int i = s.length(); i < width; i++) {
      b.append('0');
    }
    return b.append(s);
  }
}
