package xenaudit.transforms.io;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** How uncompressed {@code s3://} images are read when page payload is skipped. */
public interface S3ReadOptions extends PipelineOptions {
  @Description(
      "Read uncompressed s3:// images with bounded ranged GETs over pooled connections (see "
          + "--seekThreshold). false = Beam's own S3 channel, which starts an open-ended GET at every "
          + "seek and drops the previous connection.")
  @Default.Boolean(true)
  boolean getS3RangedReads();

  void setS3RangedReads(boolean value);

  @Description(
      "Send the ranged GETs over xenaudit's own HTTP/1.1 client (SigV4-signed, pooled keep-alive "
          + "connections, http or https), which costs client and server a fraction of the CPU the AWS "
          + "SDK's request pipeline does per GET. false = through the SDK's S3 client. Used only when "
          + "no --proxyConfiguration and no --s3ClientFactoryClass of your own is set; those need the SDK.")
  @Default.Boolean(true)
  boolean getS3LeanGets();

  void setS3LeanGets(boolean value);

  @Description(
      "Smallest ranged GET, in bytes, after each seek; runs of sequential reads double it up to 8 MiB. "
          + "The default covers a PAGE_DATA record's headers and a full 1024-entry PFN array.")
  @Default.Integer(S3RangedReads.DEFAULT_READ_AHEAD)
  int getS3ReadAhead();

  void setS3ReadAhead(int value);

  @Description(
      "Address S3 buckets path-style (http://host/bucket/key) instead of virtual-host style: "
          + "needed by MinIO, s3proxy and most S3-compatible servers reached by host name.")
  @Default.Boolean(false)
  boolean getS3PathStyle();

  void setS3PathStyle(boolean value);
}
