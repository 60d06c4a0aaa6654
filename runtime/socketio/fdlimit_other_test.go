//go:build !linux && !darwin

package socketio

// raiseFDLimit does nothing here: the load test lifts the limit on Linux
// and macOS only (elsewhere Rlimit's fields differ in type).
func raiseFDLimit(uint64) error { return nil }
