package dev.lamina.reconcile;

import dev.lamina.api.Lamina;
import dev.lamina.api.OSImage;
import io.javaoperatorsdk.operator.processing.event.source.filter.OnUpdateFilter;
import java.util.Map;
import java.util.Objects;

/**
 * Which updates of an OSImage start a reconcile: a new generation (a spec change), as JOSDK's
 * generation-aware processing does, and also a new lamina.dev/rebuild annotation, which changes
 * only metadata. The operator's own status writes pass neither.
 */
public final class SpecOrRebuildChanged implements OnUpdateFilter<OSImage> {
  @Override
  public boolean accept(OSImage updated, OSImage old) {
    return !Objects.equals(updated.getMetadata().getGeneration(), old.getMetadata().getGeneration())
        || !Objects.equals(rebuild(updated), rebuild(old))
        || (updated.getMetadata().getDeletionTimestamp() != null
            && old.getMetadata().getDeletionTimestamp() == null);
  }

  static String rebuild(OSImage o) {
    Map<String, String> a = o.getMetadata().getAnnotations();
    return a == null ? null : a.get(Lamina.REBUILD_ANNOTATION);
  }
}
