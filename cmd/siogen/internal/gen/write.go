package gen

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// headerScan is how much of an existing file is searched for [Marker]:
// generous enough for a license block or a //go:build line above it.
const headerScan = 4096

// IsGenerated reports whether content carries the siogen [Marker] near its
// top.
func IsGenerated(content []byte) bool {
	if len(content) > headerScan {
		content = content[:headerScan]
	}
	return bytes.Contains(content, []byte(Marker))
}

// NotGeneratedError is returned when an output path holds a file that
// siogen did not generate: siogen never overwrites such a file.
type NotGeneratedError struct{ Path string }

func (e *NotGeneratedError) Error() string {
	return fmt.Sprintf("refusing to overwrite %s: it does not start with %q (was it written by hand? move it away or choose another output path)", e.Path, Marker)
}

// Status says what [Write] did, or would do, with a file.
type Status int

// The statuses.
const (
	Unchanged Status = iota // the file exists with the same content
	Created                 // there was no file
	Updated                 // a generated file with other content was replaced
)

// String returns "created", "updated" or "unchanged".
func (s Status) String() string {
	switch s {
	case Created:
		return "created"
	case Updated:
		return "updated"
	}
	return "unchanged"
}

// Result is the outcome for one file.
type Result struct {
	Path   string
	Status Status
}

// Plan checks the files against what is on disk, without writing: it
// returns what [Write] would do, or an error (a [*NotGeneratedError] for a
// hand-written file, a file that lacks the header, two files with one
// path, an unreadable path). Every file is checked before any is written,
// so a refused file leaves the others untouched too.
func Plan(files []File) ([]Result, error) {
	var errs []error
	seen := map[string]bool{}
	out := make([]Result, 0, len(files))
	for _, f := range files {
		clean := filepath.Clean(f.Path)
		if seen[clean] {
			errs = append(errs, fmt.Errorf("%s: two generators write this file", f.Path))
			continue
		}
		seen[clean] = true
		if !IsGenerated(f.Content) {
			errs = append(errs, fmt.Errorf("%s: generated content lacks the %q header (generator bug)", f.Path, Marker))
			continue
		}
		old, err := os.ReadFile(f.Path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			out = append(out, Result{f.Path, Created})
		case err != nil:
			errs = append(errs, err)
		case !IsGenerated(old):
			errs = append(errs, &NotGeneratedError{f.Path})
		case bytes.Equal(old, f.Content):
			out = append(out, Result{f.Path, Unchanged})
		default:
			out = append(out, Result{f.Path, Updated})
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// Write writes the files that [Plan] accepts: new files are created (with
// their directories), changed generated files are replaced atomically
// (a temporary file renamed over the old one), unchanged files are not
// touched, so their modification times stay put. Nothing is written when
// any file is refused.
func Write(files []File) ([]Result, error) {
	res, err := Plan(files)
	if err != nil {
		return nil, err
	}
	for i, r := range res {
		if r.Status == Unchanged {
			continue
		}
		if err := writeFile(r.Path, files[i].Content); err != nil {
			return res[:i], err
		}
	}
	return res, nil
}

func writeFile(path string, content []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".siogen-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(content)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}
