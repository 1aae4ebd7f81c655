package xenaudit.report;

import java.io.IOException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.parquet.io.InputFile;

/**
 * Everything the report shows, read from one run's tables in one pass per table (findings after
 * streams, migration_blockers after migration_check, since each needs to know what the first lists).
 * Every field is a counter or a bounded list, so memory does not grow with the fleet.
 */
final class ReportFacts {
  /** Entries per list (archives, guests behind a verdict, blocked guests, drift rows). */
  static final int LIST_LIMIT = 25;
  /** Error findings shown per listed archive. */
  static final int FINDINGS_PER_ARCHIVE = 3;
  /** Blockers shown per listed guest. */
  static final int BLOCKERS_PER_GUEST = 5;
  /** Pools shown (smallest names). */
  static final int POOL_LIMIT = 100;
  /** Partial features named per pool. */
  static final int PARTIAL_FEATURES_PER_POOL = 10;
  /** Distinct values kept of a free-form category (Xen version, container, target...). */
  static final int CATEGORY_CAP = 50;
  /** Distinct finding codes × severities, and blocker kinds × features, kept. */
  static final int CODE_CAP = 500;
  /** Distinct features kept (Xen's table has ~290). */
  static final int FEATURE_CAP = 1000;

  static final String STREAMS = "streams";
  static final String FINDINGS = "findings";
  static final String GUEST_SECURITY = "guest_security";
  static final String CPUID_FEATURES = "cpuid_features";
  static final String POOL_BASELINE = "pool_baseline";
  static final String MIGRATION_CHECK = "migration_check";
  static final String MIGRATION_BLOCKERS = "migration_blockers";
  static final String POLICY_DRIFT = "policy_drift";

  final Set<String> produced;
  final FleetFacts fleet;
  final FindingFacts findings;
  final SecurityFacts security;
  final FeatureFacts features;
  final PoolFacts pools;
  final MigrationFacts migration;
  final DriftFacts drift;

  private ReportFacts(Set<String> produced, FleetFacts fleet, FindingFacts findings, SecurityFacts security,
      FeatureFacts features, PoolFacts pools, MigrationFacts migration, DriftFacts drift) {
    this.produced = produced;
    this.fleet = fleet;
    this.findings = findings;
    this.security = security;
    this.features = features;
    this.pools = pools;
    this.migration = migration;
    this.drift = drift;
  }

  boolean produced(String table) {
    return produced.contains(table);
  }

  static ReportFacts read(Map<String, List<InputFile>> tables) throws IOException {
    Set<String> produced = new LinkedHashSet<>();
    for (String t : List.of(STREAMS, FINDINGS, GUEST_SECURITY, CPUID_FEATURES, POOL_BASELINE, MIGRATION_CHECK,
        MIGRATION_BLOCKERS, POLICY_DRIFT)) {
      if (tables.get(t) != null) {
        produced.add(t);
      }
    }

    FleetFacts fleet = new FleetFacts(LIST_LIMIT);
    table(tables, STREAMS).forEach(FleetFacts.COLUMNS, fleet::add);

    Set<String> listed = new LinkedHashSet<>();
    for (FleetFacts.BadArchive a : fleet.bad.sorted()) {
      listed.add(a.sourceUri());
    }
    FindingFacts findings = new FindingFacts(listed, FINDINGS_PER_ARCHIVE);
    table(tables, FINDINGS).forEach(FindingFacts.COLUMNS, findings::add);

    SecurityFacts security = new SecurityFacts(LIST_LIMIT);
    table(tables, GUEST_SECURITY).forEach(SecurityFacts.COLUMNS, security::add);

    FeatureFacts features = new FeatureFacts();
    table(tables, CPUID_FEATURES).forEach(FeatureFacts.COLUMNS, features::add);

    PoolFacts pools = new PoolFacts(POOL_LIMIT, PARTIAL_FEATURES_PER_POOL);
    table(tables, POOL_BASELINE).forEach(PoolFacts.COLUMNS, pools::add);

    MigrationFacts migration = new MigrationFacts(LIST_LIMIT, BLOCKERS_PER_GUEST);
    table(tables, MIGRATION_CHECK).forEach(MigrationFacts.CHECK_COLUMNS, migration::addCheck);
    migration.checksDone();
    table(tables, MIGRATION_BLOCKERS).forEach(MigrationFacts.BLOCKER_COLUMNS, migration::addBlocker);

    DriftFacts drift = new DriftFacts(LIST_LIMIT);
    table(tables, POLICY_DRIFT).forEach(DriftFacts.COLUMNS, drift::add);

    return new ReportFacts(Set.copyOf(produced), fleet, findings, security, features, pools, migration, drift);
  }

  private static ParquetTable table(Map<String, List<InputFile>> tables, String name) {
    List<InputFile> files = tables.get(name);
    return new ParquetTable(name, files == null ? List.of() : files);
  }
}
