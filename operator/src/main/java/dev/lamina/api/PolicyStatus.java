package dev.lamina.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.List;

/** The outcome of evaluating every applicable policy rule against one object. */
public class PolicyStatus {
  @JsonPropertyDescription("Pass, Warn or Deny: the strongest action among the results.")
  private PolicyVerdict verdict;

  @JsonPropertyDescription("Number of results whose action is Deny.")
  private Integer deny;

  @JsonPropertyDescription("Number of results whose action is Warn.")
  private Integer warn;

  @JsonPropertyDescription("Number of rule evaluations that produced a result, listed or not.")
  private Integer total;

  @JsonPropertyDescription("The results, Deny first, at most 50.")
  private List<PolicyResult> results;

  @JsonPropertyDescription("The ImagePolicies applied, with the generations read.")
  private List<AppliedPolicy> policies;

  public PolicyVerdict getVerdict() {
    return verdict;
  }

  public void setVerdict(PolicyVerdict verdict) {
    this.verdict = verdict;
  }

  public Integer getDeny() {
    return deny;
  }

  public void setDeny(Integer deny) {
    this.deny = deny;
  }

  public Integer getWarn() {
    return warn;
  }

  public void setWarn(Integer warn) {
    this.warn = warn;
  }

  public Integer getTotal() {
    return total;
  }

  public void setTotal(Integer total) {
    this.total = total;
  }

  public List<PolicyResult> getResults() {
    return results;
  }

  public void setResults(List<PolicyResult> results) {
    this.results = results;
  }

  public List<AppliedPolicy> getPolicies() {
    return policies;
  }

  public void setPolicies(List<AppliedPolicy> policies) {
    this.policies = policies;
  }
}
