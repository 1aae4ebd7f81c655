package xenaudit.transforms.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;

class SigV4Test {
  /**
   * The worked example of the S3 API reference ("Signature Calculations for the Authorization Header:
   * Example GET Object"): GET /test.txt from examplebucket, Range bytes=0-9, with the documentation's
   * example credentials. Its published signature is the independent answer.
   */
  @Test
  void signsTheS3ReferenceGetObjectExample() {
    SigV4 signer = new SigV4("us-east-1");
    String canonicalHeaders = "host:examplebucket.s3.amazonaws.com\n"
        + "range:bytes=0-9\n"
        + "x-amz-content-sha256:" + SigV4.EMPTY_PAYLOAD_SHA256 + "\n"
        + "x-amz-date:20130524T000000Z\n";
    String auth = signer.authorization("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "20130524T000000Z", "GET", "/test.txt", canonicalHeaders, "host;range;x-amz-content-sha256;x-amz-date");
    assertEquals("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
        + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41", auth);

    // The cached signing key is re-derived when the day or the secret changes.
    String otherDay = signer.authorization("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "20130525T000000Z", "GET", "/test.txt", canonicalHeaders, "host;range;x-amz-content-sha256;x-amz-date");
    String again = signer.authorization("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "20130524T000000Z", "GET", "/test.txt", canonicalHeaders, "host;range;x-amz-content-sha256;x-amz-date");
    assertEquals(auth, again);
    assertNotEquals(auth, otherDay);
  }

  @Test
  void encodesKeysByteByByteKeepingSlashes() {
    assertEquals("/bucket/dir/a%20b%2Bc%25d%C3%BC~._-.bin", SigV4.encodePath("/bucket/dir/a b+c%dü~._-.bin"));
    assertEquals("/b//x/./y", SigV4.encodePath("/b//x/./y"));
  }

  @Test
  void formatsAmzDatesInUtc() {
    assertEquals("20130524T000000Z", SigV4.amzDate(1369353600L));
    assertEquals("20261201T052609Z", SigV4.amzDate(1796102769L));
    assertEquals("19700101T000000Z", SigV4.amzDate(0));
  }
}
