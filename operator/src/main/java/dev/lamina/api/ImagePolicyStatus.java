package dev.lamina.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;

/** Whether an ImagePolicy compiled and is being applied. */
public class ImagePolicyStatus {
  @JsonPropertyDescription("Generation of the spec this status describes.")
  private Long observedGeneration;

  @JsonPropertyDescription(
      "Conditions: Ready is False when a CEL rule does not compile, and the policy is not applied.")
  private List<Condition> conditions = new ArrayList<>();

  @JsonPropertyDescription("Number of rules in force: built-in rules not Off plus custom rules.")
  private Integer ruleCount;

  public Long getObservedGeneration() {
    return observedGeneration;
  }

  public void setObservedGeneration(Long observedGeneration) {
    this.observedGeneration = observedGeneration;
  }

  public List<Condition> getConditions() {
    return conditions;
  }

  public void setConditions(List<Condition> conditions) {
    this.conditions = conditions;
  }

  public Integer getRuleCount() {
    return ruleCount;
  }

  public void setRuleCount(Integer ruleCount) {
    this.ruleCount = ruleCount;
  }
}
