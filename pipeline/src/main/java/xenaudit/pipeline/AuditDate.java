package xenaudit.pipeline;

import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/** --auditDate: the partition a run is filed under, YYYY-MM-DD. */
final class AuditDate {
  private AuditDate() {}

  /** The option's date, checked; today (UTC) when it is not given. */
  static String of(String option) {
    if (option == null || option.isEmpty()) {
      return LocalDate.now(ZoneOffset.UTC).toString();
    }
    if (!valid(option)) {
      throw new IllegalArgumentException("--auditDate " + option + " is not a date of the form YYYY-MM-DD");
    }
    return option;
  }

  static boolean valid(String date) {
    if (date.length() != 10) {
      return false;
    }
    try {
      // Round trip: the partition name must be the canonical form, so dates sort as strings.
      return LocalDate.parse(date, DateTimeFormatter.ISO_LOCAL_DATE).toString().equals(date);
    } catch (DateTimeParseException e) {
      return false;
    }
  }
}
