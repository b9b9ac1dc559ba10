package io.millrace.api.op;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * One page of a sorted listing, the way every Kinesis list action pages: items whose key sorts after an exclusive
 * start key, at most {@code limit} of them, and whether more follow.
 *
 * @param items the page
 * @param more  whether items beyond the page exist
 */
record Page<T>(List<T> items, boolean more) {

  /**
   * @param sorted         every item, sorted by {@code key}
   * @param exclusiveStart the key after which the page starts, or null for the first page
   * @param wanted         which items belong in the listing at all
   */
  static <T> Page<T> of(List<T> sorted, Function<T, String> key, String exclusiveStart, int limit,
                        Predicate<T> wanted) {
    List<T> items = new ArrayList<>(Math.min(limit, sorted.size()));
    for (T item : sorted) {
      if ((exclusiveStart != null && key.apply(item).compareTo(exclusiveStart) <= 0) || !wanted.test(item)) {
        continue;
      }
      if (items.size() == limit) {
        return new Page<>(items, true);
      }
      items.add(item);
    }
    return new Page<>(items, false);
  }

  static <T> Page<T> of(List<T> sorted, Function<T, String> key, String exclusiveStart, int limit) {
    return of(sorted, key, exclusiveStart, limit, item -> true);
  }
}
