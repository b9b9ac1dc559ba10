package io.millrace.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Whether the server is ready to serve, for {@code /health/ready}: not while it starts (its port answers as soon as it
 * is bound, but shard logs and metadata are still being recovered), and not while a shard is fenced by a storage
 * failure (it refuses writes until a restart), each with its reason. Thread-safe.
 */
public final class Health {

  private volatile boolean started;
  private final Map<String, String> fenced = new TreeMap<>();

  /** Recovery has finished: the server serves. */
  public void started() {
    started = true;
  }

  public boolean isStarted() {
    return started;
  }

  /** {@code shard} refuses writes until a restart, because of {@code reason}. */
  public synchronized void fenced(String shard, String reason) {
    fenced.put(shard, reason);
  }

  /**
   * Whether the process is worth keeping: not once a shard is fenced, since only a restart clears a fence (what was
   * acknowledged is on disk and recovered); an orchestrator's liveness probe then restarts it.
   */
  public synchronized boolean isLive() {
    return fenced.isEmpty();
  }

  /** Why the server is not ready; empty when it is. */
  public synchronized List<String> notReadyReasons() {
    List<String> reasons = new ArrayList<>();
    if (!started) {
      reasons.add("starting: recovering shard logs and metadata");
    }
    fenced.forEach((shard, reason) -> reasons.add("shard " + shard + " is fenced (it refuses writes until a "
        + "restart): " + reason));
    return reasons;
  }
}
