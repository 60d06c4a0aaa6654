package redisadapter_test

import (
	"slices"
	"testing"
	"time"

	"github.com/siogen/siogen/runtime/redisadapter"
	"github.com/siogen/siogen/runtime/socketio"
)

// BenchmarkCrossNode measures broadcasts from one node to a client of
// another node through Redis on loopback: "throughput" fires b.N
// broadcasts, at most 1000 in flight, and waits for the last one
// (deliveries/s); "latency" sends one
// at a time and reports p50/p99 of emit-to-client-receipt.
func BenchmarkCrossNode(b *testing.B) {
	for _, mode := range []struct {
		name string
		opts *redisadapter.Options
	}{{"classic", nil}, {"sharded", &redisadapter.Options{Sharded: true}}} {
		b.Run(mode.name, func(b *testing.B) {
			r := startRedis(b)
			nodes := cluster(b, r, 2, mode.opts)
			got := make(chan int64, 1<<16)
			c := nodes[1].Connect(b, "/", wsOnly)
			c.On("t", func(e *socketio.Event) {
				var ns int64
				_ = e.Decode(&ns)
				got <- time.Now().UnixNano() - ns
			})
			// warm up: the subscription is live when one arrives
			for {
				_ = nodes[0].Emit("t", time.Now().UnixNano())
				select {
				case <-got:
				case <-time.After(100 * time.Millisecond):
					continue
				}
				break
			}
			b.Run("throughput", func(b *testing.B) {
				start := time.Now()
				lat := make([]int64, 0, b.N)
				for i := 0; i < b.N; i++ {
					for i-len(lat) >= 1000 { // at most 1000 in flight: a sustained rate
						lat = append(lat, <-got)
					}
					_ = nodes[0].Emit("t", time.Now().UnixNano())
				drain:
					for {
						select {
						case d := <-got:
							lat = append(lat, d)
						default:
							break drain
						}
					}
				}
				for len(lat) < b.N {
					select {
					case d := <-got:
						lat = append(lat, d)
					case <-time.After(10 * time.Second):
						b.Fatalf("received %d of %d", len(lat), b.N)
					}
				}
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "deliveries/s")
				report(b, lat)
			})
			b.Run("latency", func(b *testing.B) {
				lat := make([]int64, 0, b.N)
				for i := 0; i < b.N; i++ {
					_ = nodes[0].Emit("t", time.Now().UnixNano())
					select {
					case d := <-got:
						lat = append(lat, d)
					case <-time.After(5 * time.Second):
						b.Fatal("lost")
					}
				}
				report(b, lat)
			})
		})
	}
}

func report(b *testing.B, lat []int64) {
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2])/1e3, "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100])/1e3, "p99-µs")
}
