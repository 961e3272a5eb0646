package dev.lamina.reconcile;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.Iterator;
import java.util.Map;

/**
 * Writes a resource's status as a JSON merge patch (RFC 7386) of only what changed, with null for
 * each field that is gone, guarded by the resourceVersion the change was computed from.
 *
 * <p>A server-side apply costs the apiserver a YAML parse of the whole status and a field-manager
 * merge on every write; at 5000 images those two were about a sixth of its CPU (DESIGN.md, Scale).
 * The patch names the resourceVersion, so it never lands on a status other than the one it was
 * computed from: on a conflict it reads the resource again and patches the difference from that,
 * which leaves the server holding exactly the status asked for, as the forced apply did.
 */
final class StatusPatch {
  static final int ATTEMPTS = 5;

  private StatusPatch() {}

  /** What the write left: the resource as the server returned it, and the version it patched. */
  record Written<R>(R updated, R base) {}

  /**
   * {@code status} as the JSON tree the patch is computed from: its fields as the client would send
   * them, without nulls ({@link #present}); null for no status.
   */
  static JsonNode tree(KubernetesSerialization json, Object status) {
    return status == null ? null : present(json.convertValue(status, JsonNode.class));
  }

  /**
   * Writes the status {@code wanted} onto {@code resource}, whose status is {@code held} (both
   * {@link #tree}s); null when the resource is gone. The caller has checked that they differ.
   */
  static <R extends CustomResource<?, ?>> Written<R> write(
      KubernetesClient client, R resource, JsonNode held, JsonNode wanted) {
    KubernetesSerialization json = client.getKubernetesSerialization();
    R base = resource;
    JsonNode from = held;
    for (int attempt = 1; ; attempt++) {
      ObjectNode patch = JsonNodeFactory.instance.objectNode();
      patch.putObject("metadata").put("resourceVersion", base.getMetadata().getResourceVersion());
      patch.set("status", diff(from, wanted));
      try {
        R updated =
            client
                .resource(base)
                .subresource("status")
                .patch(PatchContext.of(PatchType.JSON_MERGE), patch.toString());
        return new Written<>(updated, base);
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409 || attempt == ATTEMPTS) {
          throw e;
        }
        // Written since it was read: usually this operator's own write, not yet in the informer.
        base = client.resource(resource).get();
        if (base == null) {
          return null;
        }
        from = tree(json, base.getStatus());
      }
    }
  }

  /**
   * The merge patch that turns {@code from} into {@code to}, both without null fields ({@link
   * #present}): objects are compared field by field, anything else (arrays included, as RFC 7386
   * has it) is replaced whole when it differs, and a field only {@code from} has becomes null.
   */
  static JsonNode diff(JsonNode from, JsonNode to) {
    if (to == null) {
      return JsonNodeFactory.instance.nullNode();
    }
    if (from == null || !from.isObject() || !to.isObject()) {
      return to;
    }
    ObjectNode patch = JsonNodeFactory.instance.objectNode();
    for (Iterator<String> names = from.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!to.has(name)) {
        patch.putNull(name);
      }
    }
    for (Iterator<Map.Entry<String, JsonNode>> fields = to.fields(); fields.hasNext(); ) {
      Map.Entry<String, JsonNode> field = fields.next();
      JsonNode before = from.get(field.getKey());
      JsonNode after = field.getValue();
      if (!after.equals(before)) {
        patch.set(
            field.getKey(), before != null && before.isObject() ? diff(before, after) : after);
      }
    }
    return patch;
  }

  /**
   * {@code node} without its null fields, at any depth: in a merge patch a null removes a field,
   * and the resource holds none, so a null in the status means absent.
   */
  static JsonNode present(JsonNode node) {
    if (node == null || node.isNull()) {
      return null;
    }
    if (node.isObject()) {
      ObjectNode copy = JsonNodeFactory.instance.objectNode();
      node.fields()
          .forEachRemaining(
              f -> {
                JsonNode value = present(f.getValue());
                if (value != null) {
                  copy.set(f.getKey(), value);
                }
              });
      return copy;
    }
    if (node.isArray()) {
      var copy = JsonNodeFactory.instance.arrayNode();
      node.forEach(e -> copy.add(e.isNull() ? e : present(e)));
      return copy;
    }
    return node;
  }
}
