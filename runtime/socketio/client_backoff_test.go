package socketio

import (
	"slices"
	"testing"
	"time"

	"github.com/siogen/siogen/runtime/parser"
)

func TestClientBackoff(t *testing.T) {
	tests := []struct {
		name    string
		jitter  float64
		rand    float64
		attempt int
		want    time.Duration
	}{
		{"first, no jitter", 0, 0, 0, time.Second},
		{"second, no jitter", 0, 0, 1, 2 * time.Second},
		{"third, no jitter", 0, 0, 2, 4 * time.Second},
		{"capped", 0, 0, 3, 5 * time.Second},
		{"huge attempt capped", 0, 0, 1000, 5 * time.Second},
		// r = 0.25: floor(2.5) = 2 is even, so the delay goes down by 0.25·0.5·d.
		{"jitter down", 0.5, 0.25, 0, 875 * time.Millisecond},
		{"jitter down, second", 0.5, 0.25, 1, 1750 * time.Millisecond},
		// r = 0.15: floor(1.5) = 1 is odd, so the delay goes up by 0.15·0.5·d.
		{"jitter up", 0.5, 0.15, 0, 1075 * time.Millisecond},
		{"jitter up, third", 0.5, 0.15, 2, 4300 * time.Millisecond},
		{"jitter up capped", 0.5, 0.15, 3, 5 * time.Second},
		{"jitter zero draw", 0.5, 0, 1, 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := clientBackoff{min: time.Second, max: 5 * time.Second, jitter: tt.jitter,
				rand: func() float64 { return tt.rand }}
			if got := b.duration(tt.attempt); got != tt.want {
				t.Errorf("duration(%d) = %v, want %v", tt.attempt, got, tt.want)
			}
		})
	}
}

func TestClientBackoffRange(t *testing.T) {
	b := clientBackoff{min: 100 * time.Millisecond, max: time.Second, jitter: 0.5}
	for i := 0; i < 200; i++ {
		d := b.duration(i % 5)
		base := 100 * time.Millisecond << (i % 5)
		lo, hi := base/2, min(base*3/2, time.Second)
		if d < lo || d > hi {
			t.Fatalf("duration(%d) = %v, want in [%v, %v]", i%5, d, lo, hi)
		}
	}
}

func TestClientAuthPayload(t *testing.T) {
	type auth struct {
		Token string `json:"token"`
	}
	tests := []struct {
		name      string
		auth      any
		pid, off  string
		wantKeys  []string
		wantToken string
	}{
		{"no pid keeps auth", auth{"a"}, "", "", nil, ""},
		{"pid only", nil, "p", "", []string{"pid"}, ""},
		{"pid and offset", nil, "p", "o", []string{"offset", "pid"}, ""},
		{"map", map[string]any{"token": "m"}, "p", "o", []string{"offset", "pid", "token"}, "m"},
		{"string map", map[string]string{"token": "s"}, "p", "", []string{"pid", "token"}, "s"},
		{"struct", auth{"st"}, "p", "o", []string{"offset", "pid", "token"}, "st"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := clientAuthPayload(tt.auth, tt.pid, tt.off)
			if tt.pid == "" {
				if got != tt.auth {
					t.Fatalf("got %#v", got)
				}
				return
			}
			m, ok := got.(map[string]any)
			if !ok {
				t.Fatalf("got %T", got)
			}
			var keys []string
			for k := range m {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			if !slices.Equal(keys, tt.wantKeys) || m["pid"] != tt.pid {
				t.Fatalf("got %#v", m)
			}
			if tt.wantToken != "" {
				var tok string
				if err := parser.ValueOf(m["token"]).Decode(&tok); err != nil || tok != tt.wantToken {
					t.Fatalf("token %v %v", tok, err)
				}
			}
		})
	}
}
