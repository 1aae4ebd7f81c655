package xenaudit.pipeline;

import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.auth.signer.AwsS3V4Signer;
import software.amazon.awssdk.auth.signer.params.AwsS3V4SignerParams;
import software.amazon.awssdk.http.SdkHttpFullRequest;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import xenaudit.transforms.io.LeanS3Client;
import xenaudit.transforms.io.RangeSource;

/**
 * CPU per ranged GET (16 KiB at random offsets of a 64 MiB object on a local s3proxy, over
 * keep-alive HTTP) of xenaudit's own client against maintained ones: the AWS SDK's S3 client on its
 * Apache and URLConnection HTTP clients, and the JDK's HttpClient with the SDK's S3 SigV4 signer.
 * The figure is this JVM's whole CPU time (every client thread; the server is another process)
 * over the measured GETs, after a warm-up. Run by {@code scripts/bench-s3-clients}.
 */
public final class S3ClientCpuBench {
  private static final int RANGE = 16 << 10;
  private static final long OBJECT = 64L << 20;

  private S3ClientCpuBench() {}

  interface Get {
    void get(long from, long end) throws Exception;
  }

  public static void main(String[] args) throws Exception {
    int gets = args.length > 0 ? Integer.parseInt(args[0]) : 3000;
    Path work = Files.createTempDirectory("s3-client-bench");
    try (S3ProxyServer s3 = S3ProxyServer.start(work)) {
      byte[] data = new byte[(int) OBJECT];
      new Random(1).nextBytes(data);
      Files.write(s3.bucket("bench").resolve("object.bin"), data);
      URI endpoint = URI.create(s3.endpoint());
      StaticCredentialsProvider creds = StaticCredentialsProvider.create(
          AwsBasicCredentials.create(S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY));

      LeanS3Client lean = new LeanS3Client(endpoint, "us-east-1", true, creds);
      RangeSource leanObject = lean.object("bench", "object.bin", null);
      S3Client apache = sdk(endpoint, creds, ApacheHttpClient.builder().build());
      S3Client urlConnection = sdk(endpoint, creds, UrlConnectionHttpClient.builder().build());
      HttpClient jdk = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      AwsS3V4Signer signer = AwsS3V4Signer.create();
      byte[] buf = new byte[RANGE];

      Map<String, Get> clients = new java.util.LinkedHashMap<>();
      clients.put("xenaudit (own HTTP/1.1 + SigV4)", (from, end) -> {
        RangeSource.Body b = leanObject.get(from, end);
        while (b.read(buf, 0, buf.length) >= 0) {
          // drain
        }
        b.release();
      });
      clients.put("AWS SDK S3Client + Apache", (from, end) -> sdkGet(apache, from, end, buf));
      clients.put("AWS SDK S3Client + URLConnection", (from, end) -> sdkGet(urlConnection, from, end, buf));
      clients.put("JDK HttpClient + SDK AwsS3V4Signer", (from, end) -> {
        SdkHttpFullRequest unsigned = SdkHttpFullRequest.builder().method(SdkHttpMethod.GET)
            .uri(URI.create(endpoint + "/bench/object.bin")).putHeader("Range", "bytes=" + from + "-" + (end - 1))
            .build();
        SdkHttpFullRequest signed = signer.sign(unsigned, AwsS3V4SignerParams.builder()
            .awsCredentials(creds.resolveCredentials()).signingName("s3").signingRegion(Region.US_EAST_1).build());
        HttpRequest.Builder r = HttpRequest.newBuilder(signed.getUri()).GET();
        for (Map.Entry<String, List<String>> h : signed.headers().entrySet()) {
          if (!h.getKey().equalsIgnoreCase("host")) { // the JDK sets Host itself (the same value)
            r.header(h.getKey(), String.join(",", h.getValue()));
          }
        }
        HttpResponse<InputStream> resp = jdk.send(r.build(), HttpResponse.BodyHandlers.ofInputStream());
        if (resp.statusCode() != 206) {
          throw new IllegalStateException("HTTP " + resp.statusCode());
        }
        try (InputStream in = resp.body()) {
          while (in.read(buf) >= 0) {
            // drain
          }
        }
      });

      com.sun.management.OperatingSystemMXBean os =
          (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
      double baseline = 0;
      System.out.printf("%d ranged GETs of %d KiB at random offsets, after %d warm-up GETs; CPU of this JVM per GET%n",
          gets, RANGE >> 10, gets / 4);
      System.out.printf("  %-38s %12s %12s %10s%n", "client", "CPU us/GET", "wall us/GET", "CPU ratio");
      for (Map.Entry<String, Get> c : clients.entrySet()) {
        Random offsets = new Random(2);
        for (int i = 0; i < gets / 4; i++) {
          long from = (long) (offsets.nextDouble() * (OBJECT - RANGE));
          c.getValue().get(from, from + RANGE);
        }
        System.gc();
        long cpu0 = os.getProcessCpuTime();
        long wall0 = System.nanoTime();
        for (int i = 0; i < gets; i++) {
          long from = (long) (offsets.nextDouble() * (OBJECT - RANGE));
          c.getValue().get(from, from + RANGE);
        }
        double cpu = (os.getProcessCpuTime() - cpu0) / 1e3 / gets;
        double wall = (System.nanoTime() - wall0) / 1e3 / gets;
        if (baseline == 0) {
          baseline = cpu;
        }
        System.out.printf("  %-38s %12.1f %12.1f %9.2fx%n", c.getKey(), cpu, wall, cpu / baseline);
      }
      lean.close();
      apache.close();
      urlConnection.close();
    }
  }

  private static S3Client sdk(URI endpoint, StaticCredentialsProvider creds, software.amazon.awssdk.http.SdkHttpClient http) {
    return S3Client.builder().endpointOverride(endpoint).region(Region.US_EAST_1).credentialsProvider(creds)
        .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).checksumValidationEnabled(false).build())
        .httpClient(http).build();
  }

  private static void sdkGet(S3Client client, long from, long end, byte[] buf) throws Exception {
    try (InputStream in = client.getObject(GetObjectRequest.builder().bucket("bench").key("object.bin")
        .range("bytes=" + from + "-" + (end - 1)).build())) {
      while (in.read(buf) >= 0) {
        // drain
      }
    }
  }
}
