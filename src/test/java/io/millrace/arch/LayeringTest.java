package io.millrace.arch;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The one-way dependencies of the floors (ARCHITECTURE.md): app -> api -> {firehose -> stream, fanout} -> shard ->
 * storage, with no cycle between top-level packages.
 */
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

  @ArchTest
  static final ArchRule a_shard_does_not_know_the_streams_above_it =
      noClasses().that().resideInAPackage("io.millrace.shard..")
          .should().dependOnClassesThat().resideInAnyPackage("io.millrace.stream..", "io.millrace.fanout..");

  @ArchTest
  static final ArchRule fan_out_does_not_know_the_wire_layer =
      noClasses().that().resideInAPackage("io.millrace.fanout..")
          .should().dependOnClassesThat().resideInAnyPackage("io.millrace.api..", "io.millrace.app..");

  @ArchTest
  static final ArchRule firehose_does_not_know_the_wire_layer_or_the_app =
      noClasses().that().resideInAPackage("io.millrace.firehose..")
          .should().dependOnClassesThat().resideInAnyPackage("io.millrace.api..", "io.millrace.app..");

  @ArchTest
  static final ArchRule kinesis_streams_do_not_know_firehose =
      noClasses().that().resideInAnyPackage("io.millrace.stream..", "io.millrace.shard..", "io.millrace.fanout..")
          .should().dependOnClassesThat().resideInAPackage("io.millrace.firehose..");

  @ArchTest
  static final ArchRule the_wire_layer_does_not_touch_storage =
      noClasses().that().resideInAPackage("io.millrace.api..")
          .should().dependOnClassesThat().resideInAPackage("io.millrace.storage..");

  @ArchTest
  static final ArchRule top_level_packages_have_no_cycles =
      slices().matching("io.millrace.(*)..").should().beFreeOfCycles();
}
