//go:build !unix

package socketio

// raiseFDLimit does nothing: there is no open-file limit to lift here.
func raiseFDLimit(uint64) error { return nil }
