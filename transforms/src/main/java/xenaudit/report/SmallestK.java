package xenaudit.report;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * The {@code k} smallest items offered (by a total order, so the answer does not depend on the
 * order they arrive in) and the exact number offered: a max-heap of at most {@code k} entries.
 */
final class SmallestK<T> {
  private final int k;
  private final Comparator<T> order;
  private final PriorityQueue<T> heap;
  private long offered;

  SmallestK(int k, Comparator<T> order) {
    if (k < 1) {
      throw new IllegalArgumentException("k " + k);
    }
    this.k = k;
    this.order = order;
    this.heap = new PriorityQueue<>(k, order.reversed());
  }

  void offer(T item) {
    offered++;
    if (heap.size() < k) {
      heap.add(item);
    } else if (order.compare(item, heap.peek()) < 0) {
      heap.poll();
      heap.add(item);
    }
  }

  /** Every item offered, kept or not. */
  long offered() {
    return offered;
  }

  /** Offered items not in {@link #sorted()}. */
  long more() {
    return offered - heap.size();
  }

  /** The kept items, smallest first. */
  List<T> sorted() {
    List<T> l = new ArrayList<>(heap);
    l.sort(order);
    return l;
  }
}
