package io.millrace.arch;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/** The one-way dependencies of STYLE.md 2.1: app -> api -> {stream, shard} -> storage. */
@AnalyzeClasses(packages = "io.millrace", importOptions = ImportOption.DoNotIncludeTests.class)
class LayeringTest {

  @ArchTest
  static final ArchRule storage_does_not_use_vertx =
      noClasses().that().resideInAPackage("io.millrace.storage..")
          .should().dependOnClassesThat().resideInAnyPackage("io.vertx..", "io.netty..");

  @ArchTest
  static final ArchRule storage_uses_nothing_else_from_millrace =
      noClasses().that().resideInAPackage("io.millrace.storage..")
          .should().dependOnClassesThat(resideInAPackage("io.millrace..")
              .and(not(resideInAPackage("io.millrace.storage.."))));

  @ArchTest
  static final ArchRule stream_and_shard_do_not_know_the_wire_layer_or_the_app =
      noClasses().that().resideInAnyPackage("io.millrace.stream..", "io.millrace.shard..")
          .should().dependOnClassesThat().resideInAnyPackage("io.millrace.api..", "io.millrace.app..");

  @ArchTest
  static final ArchRule the_wire_layer_does_not_know_the_app =
      noClasses().that().resideInAPackage("io.millrace.api..")
          .should().dependOnClassesThat().resideInAPackage("io.millrace.app..");
}
