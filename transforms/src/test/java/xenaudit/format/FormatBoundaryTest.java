package xenaudit.format;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The format core, the decompressors that feed it and the policy rules must stay usable from a plain
 * CLI: no Beam, no pipeline code.
 */
class FormatBoundaryTest {
  private static final JavaClasses FORMAT =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("xenaudit.format", "xenaudit.compress", "xenaudit.policy");

  @Test
  void formatCoreHasNoBeamDependency() {
    noClasses()
        .that()
        .resideInAnyPackage("xenaudit.format..", "xenaudit.compress..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("org.apache.beam..", "org.apache.hadoop..", "org.apache.parquet..")
        .check(FORMAT);
  }

  @Test
  void policyRulesHaveNoBeamDependency() {
    noClasses()
        .that()
        .resideInAPackage("xenaudit.policy..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("org.apache.beam..", "org.apache.hadoop..", "org.apache.parquet..", "org.apache.avro..",
            "xenaudit.transforms..", "xenaudit.pipeline..", "xenaudit.cli..", "xenaudit.sample..")
        .check(FORMAT);
  }

  @Test
  void formatCoreDependsOnNothingElseOfTheProject() {
    noClasses()
        .that()
        .resideInAPackage("xenaudit.format..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "xenaudit.compress..", "xenaudit.policy..", "xenaudit.transforms..", "xenaudit.pipeline..", "xenaudit.sample..",
            "xenaudit.cli..")
        .check(FORMAT);
  }
}
