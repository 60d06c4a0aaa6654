package schema

import (
	"fmt"
	"sort"
	"strings"
)

// Pos is a position in a source file. Line and Col are 1-based; a zero Line
// means the position is unknown (the problem concerns the whole file).
type Pos struct {
	File string
	Line int
	Col  int
}

// String formats the position as file:line:col (or just file when the line
// is unknown).
func (p Pos) String() string {
	if p.Line == 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// MarshalText formats the position as [Pos.String] does, so that a resolved
// model dumps readably as JSON.
func (p Pos) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// before reports whether p sorts before q: by file, then line, then column.
func (p Pos) before(q Pos) bool {
	if p.File != q.File {
		return p.File < q.File
	}
	if p.Line != q.Line {
		return p.Line < q.Line
	}
	return p.Col < q.Col
}

// Problem is one error or warning found in a schema or config file.
type Problem struct {
	Pos     Pos
	Message string
	// Warning is true for problems that do not stop generation, such as the
	// use of int64 (which JavaScript cannot represent exactly).
	Warning bool
}

// String formats the problem as "file:line:col: message", with "warning: "
// before the message of a warning.
func (p Problem) String() string {
	if p.Warning {
		return p.Pos.String() + ": warning: " + p.Message
	}
	return p.Pos.String() + ": " + p.Message
}

// Problems is a list of problems. As an error it prints one problem per
// line; the lists that this package returns are already sorted.
type Problems []Problem

// Error formats every problem, one per line, without a trailing newline.
func (ps Problems) Error() string {
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// HasErrors reports whether any problem is an error rather than a warning.
func (ps Problems) HasErrors() bool {
	for _, p := range ps {
		if !p.Warning {
			return true
		}
	}
	return false
}

// Errors returns only the problems that are errors.
func (ps Problems) Errors() Problems { return ps.filter(false) }

// WarningsOnly returns only the problems that are warnings.
func (ps Problems) WarningsOnly() Problems { return ps.filter(true) }

func (ps Problems) filter(warning bool) Problems {
	var out Problems
	for _, p := range ps {
		if p.Warning == warning {
			out = append(out, p)
		}
	}
	return out
}

// Sort orders the problems by position (file, line, column), keeping the
// order in which they were found for problems at the same position, and
// drops exact duplicates.
func (ps *Problems) Sort() {
	s := *ps
	sort.SliceStable(s, func(i, j int) bool { return s[i].Pos.before(s[j].Pos) })
	seen := make(map[Problem]bool, len(s))
	out := s[:0]
	for _, p := range s {
		if seen[p] {
			continue
		}
		seen[p] = true
		out = append(out, p)
	}
	*ps = out
}
