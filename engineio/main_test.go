package engineio

import (
	"os"
	"testing"

	"github.com/siogen/siogen/internal/leakcheck"
)

func TestMain(m *testing.M) {
	if os.Getenv(computeServerEnv) != "" {
		runComputeServer() // this binary is TestRawSyscallsKeepPreemption's server
		return
	}
	leakcheck.Main(m)
}
