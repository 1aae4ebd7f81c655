package xenaudit.pipeline;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Keeps credentials out of what the command prints. Beam's option errors quote the value they could
 * not parse, and an --awsCredentialsProvider value holds a secret key: every secret found in the
 * arguments, and any JSON secret field in a message, is replaced by {@code ***} before a line goes
 * out.
 */
final class Redaction {
  /** JSON fields of AWS credential providers that are secret; the value may lack its closing quote. */
  private static final Pattern SECRET_FIELD = Pattern.compile(
      "(\"(?:secretAccessKey|sessionToken|awsSecretKey|password)\"\\s*:\\s*\")([^\"]*)(\"?)", Pattern.CASE_INSENSITIVE);
  /** Options whose whole value is secret. */
  private static final Pattern SECRET_OPTION = Pattern.compile("--[A-Za-z]*(?:[Ss]ecret|[Pp]assword|[Tt]oken)[A-Za-z]*=(.+)");
  /** Secret entries of a key=value list option (--icebergCatalogProperties=token=...,credential=...). */
  private static final Pattern SECRET_PROPERTY =
      Pattern.compile("(?:^|,)[\\w.-]*(?:token|credential|secret|password|key)[\\w.-]*=([^,]+)", Pattern.CASE_INSENSITIVE);
  private static final String MASK = "***";

  private final List<String> secrets = new ArrayList<>();

  Redaction(String[] args) {
    for (String a : args) {
      Matcher f = SECRET_FIELD.matcher(a);
      while (f.find()) {
        add(f.group(2));
      }
      if (a.startsWith("--icebergCatalogProperties=")) {
        Matcher p = SECRET_PROPERTY.matcher(a.substring(a.indexOf('=') + 1));
        while (p.find()) {
          add(p.group(1));
        }
      }
      Matcher o = SECRET_OPTION.matcher(a);
      if (o.matches()) {
        add(o.group(1));
      }
    }
  }

  private void add(String secret) {
    if (secret.length() >= 4) { // a shorter one would mask ordinary words
      secrets.add(secret);
    }
  }

  String apply(String line) {
    String out = SECRET_FIELD.matcher(line).replaceAll(m -> Matcher.quoteReplacement(m.group(1) + MASK + m.group(3)));
    for (String s : secrets) {
      out = out.replace(s, MASK);
    }
    return out;
  }
}
