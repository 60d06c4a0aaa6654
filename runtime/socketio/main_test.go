package socketio

import (
	"testing"

	"github.com/siogen/siogen/internal/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }
