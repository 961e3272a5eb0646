package dev.lamina.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class StatusPatchTest {
  static final ObjectMapper JSON = new ObjectMapper();

  static JsonNode tree(String json) throws Exception {
    return StatusPatch.present(JSON.readTree(json.replace('\'', '"')));
  }

  static String diff(String from, String to) throws Exception {
    return StatusPatch.diff(tree(from), tree(to)).toString().replace('"', '\'');
  }

  @Test
  void patchHoldsOnlyWhatChangedAndNullsWhatIsGone() throws Exception {
    assertThat(
            diff(
                "{'phase':'Building','inputDigest':'a','message':'m','policy':{'deny':0,'warn':1}}",
                "{'phase':'Ready','message':'m','policy':{'deny':0},'digest':'d'}"))
        .isEqualTo("{'inputDigest':null,'phase':'Ready','policy':{'warn':null},'digest':'d'}");
  }

  @Test
  void arraysAreReplacedWholeAndMapsFieldByField() throws Exception {
    assertThat(
            diff(
                "{'conditions':[{'type':'A'},{'type':'B'}],'layerDigests':{'x':'1','y':'2'}}",
                "{'conditions':[{'type':'A'}],'layerDigests':{'x':'1','z':'3'}}"))
        .isEqualTo("{'conditions':[{'type':'A'}],'layerDigests':{'y':null,'z':'3'}}");
  }

  @Test
  void nullsInTheWantedStatusMeanAbsent() throws Exception {
    // A null the old status did not hold is no change; one it held removes the field.
    assertThat(diff("{'phase':'Ready'}", "{'phase':'Ready','message':null}")).isEqualTo("{}");
    assertThat(diff("{'message':'m'}", "{'message':null}")).isEqualTo("{'message':null}");
    assertThat(diff("{}", "{'policy':{'deny':1,'results':null}}"))
        .isEqualTo("{'policy':{'deny':1}}");
  }

  @Test
  void noStatusYetPatchesTheWholeStatus() throws Exception {
    assertThat(StatusPatch.diff(null, tree("{'phase':'Pending'}")).toString())
        .isEqualTo("{\"phase\":\"Pending\"}");
  }
}
