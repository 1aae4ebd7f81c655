package xenaudit.format;

/** A finding sink bound to one record, so checks need not carry the location around. */
@FunctionalInterface
interface Located {
  void report(FindingCode code, String message);
}
