package io.millrace.testing;

import java.util.function.Function;
import org.opentest4j.AssertionFailedError;

/**
 * Property checks in plain JUnit 5: a check is run on many generated inputs ({@link Gen}); the first failure is
 * reported with the input, the try and the seed. Each run draws a new seed, so the suite keeps exploring; to repeat a
 * failure, run with {@code -Dmillrace.seed=<seed>}.
 *
 * <pre>{@code
 * Property.forAll(200, g -> g.bytes(1, 300), payload -> assertEquals(...));
 * }</pre>
 */
public final class Property {

  /** How many inputs a property is checked on unless it says otherwise. */
  public static final int DEFAULT_TRIES = 1000;

  private Property() {}

  /** A check that may throw (assertions, or the code under test). */
  @FunctionalInterface
  public interface Check<T> {
    void accept(T input) throws Throwable;
  }

  public static <T> void forAll(Function<Gen, T> generator, Check<T> check) {
    forAll(DEFAULT_TRIES, generator, check);
  }

  /** Runs {@code check} on {@code tries} inputs drawn by {@code generator}; stops at the first failure. */
  public static <T> void forAll(int tries, Function<Gen, T> generator, Check<T> check) {
    long seed = seed();
    Gen gen = new Gen(seed);
    for (int i = 1; i <= tries; i++) {
      T input = generator.apply(gen);
      try {
        check.accept(input);
      } catch (Throwable failure) {
        AssertionFailedError reported = new AssertionFailedError("property failed on try " + i + " of " + tries
            + " with input " + show(input) + " (repeat with -Dmillrace.seed=" + seed + "): " + failure.getMessage(),
            failure);
        throw reported;
      }
    }
  }

  private static long seed() {
    String fixed = System.getProperty("millrace.seed");
    return fixed != null ? Long.parseLong(fixed) : new java.security.SecureRandom().nextLong();
  }

  private static String show(Object input) {
    if (input instanceof byte[] b) {
      return java.util.Arrays.toString(b);
    }
    if (input instanceof Object[] a) {
      return java.util.Arrays.deepToString(a);
    }
    String s = String.valueOf(input);
    return s.length() > 2000 ? s.substring(0, 2000) + "..." : s;
  }
}
