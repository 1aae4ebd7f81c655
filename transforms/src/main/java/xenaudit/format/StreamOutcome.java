package xenaudit.format;

/** How a layer reader handed control back. */
enum StreamOutcome {
  /** The layer's END record was read. */
  END,
  /** A libxc CHECKPOINT was read: libxl framing resumes (Remus/COLO). */
  CHECKPOINT,
  /** Framing is lost (error already reported): nothing more can be read. */
  STOP
}
