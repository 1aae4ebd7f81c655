package xenaudit.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

/**
 * Every finding code an input can trigger is asserted, located and with its severity, by at least
 * one rule test. The rule tests are run here once more, and each code they assert present with
 * {@link RuleImages.Check#has} is collected.
 */
class FindingCodeCoverageRuleTest {
  static final List<Class<?>> RULE_TESTS = List.of(
      XlContainerRuleTest.class,
      LibxlRuleTest.class,
      LibxcHeaderRuleTest.class,
      LibxcRecordRuleTest.class,
      LibxcPlacementRuleTest.class,
      PolicyRuleTest.class,
      RequestRuleTest.class);

  /** Codes no bytes can produce, and why. */
  static final Map<FindingCode, String> NOT_FROM_BYTES = Map.of(
      FindingCode.READ_ERROR, "an I/O error of the channel, not a property of the bytes",
      FindingCode.INTERNAL_ERROR, "a bug of the reader itself",
      FindingCode.PAGE_PAYLOAD_CHECKSUM, "a result of the full-read option, not of the bytes; FullReadModeTest checks it");

  @Test
  void everyCodeIsAssertedByARuleTest() throws Exception {
    RuleImages.clearAsserted();
    List<String> failed = new ArrayList<>();
    for (Class<?> c : RULE_TESTS) {
      runAll(c, failed);
    }
    assertTrue(failed.isEmpty(), () -> "rule tests failed: " + failed);
    Set<FindingCode> asserted = RuleImages.asserted();
    Set<FindingCode> missing = EnumSet.allOf(FindingCode.class);
    missing.removeAll(asserted);
    missing.removeAll(NOT_FROM_BYTES.keySet());
    assertEquals(Set.of(), missing, "codes no rule test asserts");
    for (FindingCode c : NOT_FROM_BYTES.keySet()) {
      assertTrue(!asserted.contains(c), () -> c + " is asserted by a rule test: drop it from NOT_FROM_BYTES");
    }
    assertEquals(FindingCode.values().length - NOT_FROM_BYTES.size(), asserted.size());
  }

  private static void runAll(Class<?> c, List<String> failed) throws ReflectiveOperationException {
    List<Method> tests = new ArrayList<>();
    for (Method m : c.getDeclaredMethods()) {
      if (m.isAnnotationPresent(Test.class) && !m.isAnnotationPresent(Disabled.class)) {
        tests.add(m);
      }
    }
    tests.sort(Comparator.comparing(Method::getName));
    for (Method m : tests) {
      var ctor = c.getDeclaredConstructor();
      ctor.setAccessible(true);
      Object instance = ctor.newInstance();
      m.setAccessible(true);
      try {
        m.invoke(instance);
      } catch (InvocationTargetException e) {
        failed.add(c.getSimpleName() + "." + m.getName() + ": " + e.getCause());
      }
    }
  }
}
