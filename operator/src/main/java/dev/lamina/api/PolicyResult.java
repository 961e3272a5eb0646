package dev.lamina.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** One rule that did not pass. */
public class PolicyResult {
  @JsonPropertyDescription("Rule ID (LMN001...) or the name of a custom rule.")
  private String rule;

  @JsonPropertyDescription("Deny or Warn.")
  private PolicyAction action;

  @JsonPropertyDescription("What the rule looked at: a Layer, a path, a field.")
  private String target;

  @JsonPropertyDescription("Why the rule did not pass.")
  private String message;

  public String getRule() {
    return rule;
  }

  public void setRule(String rule) {
    this.rule = rule;
  }

  public PolicyAction getAction() {
    return action;
  }

  public void setAction(PolicyAction action) {
    this.action = action;
  }

  public String getTarget() {
    return target;
  }

  public void setTarget(String target) {
    this.target = target;
  }

  public String getMessage() {
    return message;
  }

  public void setMessage(String message) {
    this.message = message;
  }
}
