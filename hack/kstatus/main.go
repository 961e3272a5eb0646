// Command kstatus prints the kstatus result (Current, InProgress, Failed, ...) that Flux and
// kpt compute for each Kubernetes object given on standard input, so Lamina's tests can check
// its status conditions against the library itself rather than a reading of its documentation.
//
// Input: a JSON array of objects. Output: a JSON array of {"name", "status", "message"}, one
// entry per object, in the same order.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

type result struct {
	Name    string `json:"name"`
	Status  string `json:"status"`
	Message string `json:"message"`
}

func main() {
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail(err)
	}
	var objects []json.RawMessage
	if err := json.Unmarshal(in, &objects); err != nil {
		fail(fmt.Errorf("standard input is not a JSON array of objects: %w", err))
	}
	results := make([]result, 0, len(objects))
	for _, o := range objects {
		// Kubernetes' own decoder, so integers such as metadata.generation stay int64.
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(o); err != nil {
			fail(err)
		}
		r, err := status.Compute(u)
		if err != nil {
			fail(fmt.Errorf("%s: %w", u.GetName(), err))
		}
		results = append(results, result{Name: u.GetName(), Status: r.Status.String(), Message: r.Message})
	}
	out, err := json.Marshal(results)
	if err != nil {
		fail(err)
	}
	fmt.Println(string(out))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "kstatus:", err)
	os.Exit(1)
}
