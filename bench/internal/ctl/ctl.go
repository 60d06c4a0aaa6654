// Package ctl holds what the Go contender servers of the benchmark share: a
// SIGUSR2 handler that collects garbage and returns freed memory to the OS
// (the harness sends it before it reads a server's RSS), and an optional
// CPU profile written when the server is told to stop.
package ctl

import (
	"flag"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"syscall"
)

var (
	cpuprofile = flag.String("cpuprofile", "", "write a CPU profile here, stopped on SIGTERM/SIGINT")
	memprofile = flag.String("memprofile", "", "write a heap profile here after each SIGUSR2 GC and on SIGTERM/SIGINT")
)

// Setup installs the signal handlers. Call it after flag.Parse.
func Setup() {
	gc := make(chan os.Signal, 1)
	signal.Notify(gc, syscall.SIGUSR2)
	go func() {
		for range gc {
			runtime.GC()
			debug.FreeOSMemory()
			if *memprofile != "" {
				if f, err := os.Create(*memprofile); err == nil {
					_ = pprof.Lookup("heap").WriteTo(f, 0)
					f.Close()
				}
				if f, err := os.Create(*memprofile + ".goroutines"); err == nil {
					_ = pprof.Lookup("goroutine").WriteTo(f, 1)
					f.Close()
				}
			}
		}
	}()
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err == nil {
			_ = pprof.StartCPUProfile(f)
		}
	}
	go func() {
		<-stop
		if *cpuprofile != "" {
			pprof.StopCPUProfile()
		}
		if *memprofile != "" { // alloc_space/alloc_objects: what the run allocated
			if f, err := os.Create(*memprofile); err == nil {
				_ = pprof.Lookup("heap").WriteTo(f, 0)
				f.Close()
			}
		}
		os.Exit(0)
	}()
}
