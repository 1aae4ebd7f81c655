package xenaudit.sample;

/**
 * Where one structure of a written image lies, for tests and for corrupting images at a chosen
 * point.
 *
 * @param kind what was written: {@code xl_header}, {@code xl_optional_data}, {@code libvirt_header},
 *     {@code libvirt_xml}, {@code libxl_header}, {@code libxc_image_header}, {@code
 *     libxc_domain_header}, {@code libxl:NAME} / {@code libxc:NAME} for a record (NAME is the record
 *     type name, or its hex code), {@code page_data_pfns}, {@code page_data_payload}, {@code raw}
 * @param offset first byte in the image
 * @param length bytes, record header and padding included
 * @param pages data-carrying pages (PAGE_DATA records only, else 0)
 */
public record Mark(String kind, long offset, long length, long pages) {
  public long end() {
    return offset + length;
  }
}
