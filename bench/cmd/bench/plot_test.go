package main

import (
	"math"
	"slices"
	"testing"
)

// A plot shows every contender with a figure in one of its series, whatever
// other keys the contenders' metrics have, and none without.
func TestPlotted(t *testing.T) {
	res := &results{Data: map[string]map[string][]metrics{"idle": {
		"siogen":   {{"conn_per_s": 7000, "poll_conn_per_s": 2800}, {"conn_per_s": 7100, "poll_failed": 1}},
		"plain-ws": {{"conn_per_s": 5900, "kb_per_conn": 23}},
		"raw-tcp":  {{"conn_per_s": 21000}, nil},
		"failed":   {nil, {"conn_per_s": math.NaN()}},
		"other":    {{"kb_per_conn": 9}},
	}}}
	cs := []string{"siogen", "plain-ws", "raw-tcp", "failed", "other", "absent"}
	for _, tc := range []struct {
		ss   []series
		want []string
	}{
		{[]series{{"WebSocket", "conn_per_s", 1}, {"polling→WebSocket", "poll_conn_per_s", 1}}, []string{"siogen", "plain-ws", "raw-tcp"}},
		{[]series{{"polling→WebSocket", "poll_conn_per_s", 1}}, []string{"siogen"}},
		{[]series{{"KB/conn", "kb_per_conn", 1}}, []string{"plain-ws", "other"}},
	} {
		for range 20 { // map order must not matter
			if got := plotted(res, "idle", cs, tc.ss); !slices.Equal(got, tc.want) {
				t.Fatalf("%v: %v, want %v", tc.ss, got, tc.want)
			}
		}
	}
	if !slices.Equal(cs, []string{"siogen", "plain-ws", "raw-tcp", "failed", "other", "absent"}) {
		t.Fatalf("cs changed: %v", cs)
	}
}
