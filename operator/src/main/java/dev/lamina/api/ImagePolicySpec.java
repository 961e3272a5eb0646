package dev.lamina.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.LabelSelector;
import java.util.List;
import java.util.Map;

/** Which objects a policy applies to, the action of each built-in rule, and custom CEL rules. */
public class ImagePolicySpec {
  @JsonPropertyDescription(
      "Labels of the Layers and OSImages this policy applies to; empty selects all.")
  private LabelSelector objectSelector;

  @JsonPropertyDescription(
      "Labels of the namespaces whose objects this policy applies to; empty selects all.")
  private LabelSelector namespaceSelector;

  @JsonPropertyDescription(
      "Action of each built-in rule by ID (LMN001...): Deny, Warn or Off; unlisted rules keep their default.")
  @Size(max = 100)
  @ValidationRule(
      value = "self.all(k, k.matches('^LMN[0-9]{3}$'))",
      message = "rule IDs look like LMN001")
  private Map<String, PolicyAction> rules;

  @JsonPropertyDescription("Parameters of the built-in rules.")
  private PolicyParameters parameters;

  @JsonPropertyDescription(
      "Custom rules in CEL over object (the resource) and, for OSImages, layers.")
  @Size(max = 100)
  @ValidationRule(
      value = "self.all(r, self.exists_one(s, s.name == r.name))",
      message = "custom rule names must be unique")
  private List<CustomRule> customRules;

  @JsonPropertyDescription("Keys that the Layers this policy applies to must be signed by.")
  private TrustSpec trust;

  public TrustSpec getTrust() {
    return trust;
  }

  public void setTrust(TrustSpec trust) {
    this.trust = trust;
  }

  public LabelSelector getObjectSelector() {
    return objectSelector;
  }

  public void setObjectSelector(LabelSelector objectSelector) {
    this.objectSelector = objectSelector;
  }

  public LabelSelector getNamespaceSelector() {
    return namespaceSelector;
  }

  public void setNamespaceSelector(LabelSelector namespaceSelector) {
    this.namespaceSelector = namespaceSelector;
  }

  public Map<String, PolicyAction> getRules() {
    return rules;
  }

  public void setRules(Map<String, PolicyAction> rules) {
    this.rules = rules;
  }

  public PolicyParameters getParameters() {
    return parameters;
  }

  public void setParameters(PolicyParameters parameters) {
    this.parameters = parameters;
  }

  public List<CustomRule> getCustomRules() {
    return customRules;
  }

  public void setCustomRules(List<CustomRule> customRules) {
    this.customRules = customRules;
  }
}
