package dev.lamina.reconcile;

import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The cluster-wide limit on build pods at once ({@code lamina operator --max-build-pods}), so a
 * moved tag under hundreds of OSImages doesn't start hundreds of pods together. In use: the build
 * pods the operator's informer sees that hold a slot ({@link OSImageWatches#holdsSlot}: unfinished,
 * including those being deleted, which still run until they stop), plus pods it just created that
 * the informer hasn't shown yet. A pod the scheduler refused holds its slot only while a node of
 * its architecture exists: an architecture without nodes would otherwise hold back every other
 * build (when its node comes, those pods start beside the others, so the limit can be passed by
 * that many). Architectures that want a pod wait in the order they first asked; one that stops
 * asking (its image deleted, its input changed) leaves the queue after {@code staleAfter}.
 */
final class BuildSlots {
  private final int limit;
  private final Supplier<Map<String, Boolean>> buildPods;
  private final Duration staleAfter;

  /** Waiting architectures (namespace/name/arch), first come first, with when they last asked. */
  private final Map<String, Instant> queue = new LinkedHashMap<>();

  /** Pods created but not yet seen by the informer, with when they were created. */
  private final Map<String, Instant> created = new LinkedHashMap<>();

  /**
   * @param limit pods at once; 0 for no limit
   * @param buildPods the build pods the informer sees, by name: whether each holds a slot (it is
   *     unfinished and not refused by the scheduler)
   */
  BuildSlots(int limit, Supplier<Map<String, Boolean>> buildPods, Duration staleAfter) {
    this.limit = limit;
    this.buildPods = buildPods;
    this.staleAfter = staleAfter;
  }

  /** The answer to one request: a slot, or the place in the queue (1 = next). */
  record Grant(boolean granted, int position, int waiting) {}

  /**
   * Asks for a slot for {@code who}'s pod {@code pod}. Granted, the pod counts as running until the
   * informer shows it finished; refused, {@code who} keeps its place for the next ask.
   */
  synchronized Grant acquire(String who, String pod, Instant now) {
    if (limit <= 0) {
      return new Grant(true, 0, 0);
    }
    Map<String, Boolean> seen = buildPods.get();
    // Seen by the informer, or long enough ago that it would have been: counted there or gone.
    created
        .entrySet()
        .removeIf(e -> seen.containsKey(e.getKey()) || e.getValue().plus(staleAfter).isBefore(now));
    long holding = seen.values().stream().filter(Boolean::booleanValue).count();
    queue
        .entrySet()
        .removeIf(e -> !e.getKey().equals(who) && e.getValue().plus(staleAfter).isBefore(now));
    queue.put(who, now);
    long free = limit - holding - created.size();
    int position = position(who);
    if (position <= free) {
      queue.remove(who);
      created.put(pod, now);
      return new Grant(true, 0, queue.size());
    }
    return new Grant(false, position, queue.size());
  }

  /**
   * The informer has delivered an event of {@code pod} (namespace/name), so its cache holds the pod
   * or its deletion: from now on it is counted there, while it runs. A pod that finished and was
   * deleted between two asks would otherwise stay counted as created-but-unseen until it went
   * stale, holding its slot for minutes. Only for events from the informer: a pod just created is
   * also announced to the event source before the cache lists it, and calling this then would count
   * the pod nowhere.
   */
  synchronized void observed(String pod) {
    created.remove(pod);
  }

  /** Leaves the queue (the image no longer needs a pod). */
  synchronized void withdraw(String who) {
    queue.remove(who);
  }

  synchronized List<String> waiting() {
    return List.copyOf(queue.keySet());
  }

  private int position(String who) {
    int i = 1;
    for (Iterator<String> it = queue.keySet().iterator(); it.hasNext(); i++) {
      if (it.next().equals(who)) {
        return i;
      }
    }
    return i;
  }
}
