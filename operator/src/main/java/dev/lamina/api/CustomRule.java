package dev.lamina.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import java.util.List;

/** A rule written in CEL; the object passes when the expression is true. */
public class CustomRule {
  @JsonPropertyDescription("Name of the rule, shown in results.")
  @Required
  @Pattern("^[A-Za-z][A-Za-z0-9_.-]{0,62}$")
  // maxLength lets the apiserver bound the cost of the uniqueness rule on customRules.
  @Size(max = 63)
  private String name;

  @JsonPropertyDescription(
      "CEL expression over object and, for OSImages, layers; true means the object passes.")
  @Required
  @Size(min = 1, max = 4096)
  private String expression;

  @JsonPropertyDescription("Message shown when the expression is false.")
  @Size(max = 1024)
  private String message;

  @JsonPropertyDescription(
      "CEL expression giving the message as a string; takes precedence over message.")
  @Size(max = 4096)
  private String messageExpression;

  @JsonPropertyDescription("Deny or Warn; default Deny.")
  private PolicyAction action;

  @JsonPropertyDescription("Kinds this rule applies to (Layer, OSImage); default both.")
  @Size(max = 2)
  private List<String> kinds;

  public String getName() {
    return name;
  }

  public void setName(String name) {
    this.name = name;
  }

  public String getExpression() {
    return expression;
  }

  public void setExpression(String expression) {
    this.expression = expression;
  }

  public String getMessage() {
    return message;
  }

  public void setMessage(String message) {
    this.message = message;
  }

  public String getMessageExpression() {
    return messageExpression;
  }

  public void setMessageExpression(String messageExpression) {
    this.messageExpression = messageExpression;
  }

  public PolicyAction getAction() {
    return action;
  }

  public void setAction(PolicyAction action) {
    this.action = action;
  }

  public List<String> getKinds() {
    return kinds;
  }

  public void setKinds(List<String> kinds) {
    this.kinds = kinds;
  }
}
