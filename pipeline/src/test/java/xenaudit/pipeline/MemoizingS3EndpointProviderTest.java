package xenaudit.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.endpoints.S3EndpointParams;
import software.amazon.awssdk.services.s3.endpoints.S3EndpointProvider;

/** The memoized endpoint rules give what the SDK's own give, for every parameter that matters. */
class MemoizingS3EndpointProviderTest {
  @Test
  void sameEndpointsAsTheSdkOnceEachDistinctParameterSet() {
    S3EndpointProvider sdk = S3EndpointProvider.defaultProvider();
    MemoizingS3EndpointProvider memo = new MemoizingS3EndpointProvider(sdk);
    S3EndpointParams[] cases = {
        S3EndpointParams.builder().bucket("images").region(Region.US_EAST_1).build(),
        S3EndpointParams.builder().bucket("images").region(Region.EU_WEST_1).build(),
        S3EndpointParams.builder().bucket("audit").region(Region.EU_WEST_1).build(),
        S3EndpointParams.builder().bucket("images").region(Region.US_EAST_1).forcePathStyle(true).build(),
        S3EndpointParams.builder().bucket("images").region(Region.US_EAST_1).forcePathStyle(true)
            .endpoint("http://127.0.0.1:9000").build(),
        S3EndpointParams.builder().bucket("images").region(Region.US_EAST_1).useDualStack(true).build(),
    };
    for (int round = 0; round < 3; round++) {
      for (S3EndpointParams p : cases) {
        // Endpoint.equals compares the URL, headers and attributes (the signing scheme).
        assertEquals(sdk.resolveEndpoint(p).join(), memo.resolveEndpoint(p).join(), p.bucket() + " " + p.region());
      }
    }
    assertEquals(cases.length, memo.size());
  }
}
