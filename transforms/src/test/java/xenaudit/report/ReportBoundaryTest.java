package xenaudit.report;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The report reads Parquet with parquet-avro alone: no Beam, no Hadoop API, no pipeline code. */
class ReportBoundaryTest {
  private static final JavaClasses REPORT = new ClassFileImporter()
      .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
      .importPackages("xenaudit.report");

  @Test
  void reportNeedsNoBeamNorHadoop() {
    noClasses()
        .that()
        .resideInAPackage("xenaudit.report..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("org.apache.beam..", "org.apache.hadoop..", "xenaudit.transforms..", "xenaudit.pipeline..",
            "xenaudit.sample..", "xenaudit.cli..", "com.fasterxml..")
        .check(REPORT);
  }
}
