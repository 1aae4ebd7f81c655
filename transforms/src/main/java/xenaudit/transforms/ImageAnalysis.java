package xenaudit.transforms;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import xenaudit.format.ImageReport;
import xenaudit.policy.CpuPolicy;
import xenaudit.policy.GuestSecurity;
import xenaudit.policy.MigrationCheck;
import xenaudit.policy.TargetPolicy;

/**
 * What the audit concludes about one image: the format core's report plus the policy answers
 * (features, security verdicts, migration check, pool), computed once and then written as rows.
 *
 * @param sizeBytes the object's size as listed, or -1
 * @param migration null when no target was given or the stream has no CPUID policy
 * @param migrationTarget the target block the guest was checked against, or null
 * @param pool the guest's pool from --poolKey, or null when it matches none (or no key was given)
 */
record ImageAnalysis(
    ImageReport report,
    String uri,
    long sizeBytes,
    String guestId,
    CpuPolicy policy,
    GuestSecurity security,
    MigrationCheck.Result migration,
    String migrationTarget,
    String pool) {

  static ImageAnalysis of(ImageReport r, String uri, long sizeBytes, TargetPolicy target, Pattern poolKey) {
    CpuPolicy policy = CpuPolicy.of(r);
    MigrationCheck.Result migration = null;
    String targetName = null;
    if (target != null && policy.hasCpuid() && r.guestType() != null) {
      migration = MigrationCheck.check(policy, target.forGuest(r.guestType()));
      targetName = target.blockFor(r.guestType());
    }
    String pool = null;
    if (poolKey != null) {
      Matcher m = poolKey.matcher(uri);
      if (m.find() && m.group(1) != null) {
        pool = m.group(1);
      }
    }
    return new ImageAnalysis(r, uri, sizeBytes, ImageRows.guestId(r, uri), policy, GuestSecurity.of(r, policy), migration,
        targetName, pool);
  }
}
