// Package bounded reads the files a loader is handed without trusting
// them: a regular file only, of at most a known size, read to no more than
// the size it had when opened.
package bounded

import (
	"fmt"
	"io"
	"os"
)

// ReadFile returns the contents of the regular file at path, refusing
// anything else (a device such as /dev/zero, a pipe, a directory), a file
// larger than limit bytes, and a file whose size changes while it is read:
// it reads one byte past the size it found, so a growing file cannot keep
// it reading.
func ReadFile(path string, limit int64) ([]byte, error) {
	f, st, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st.Size() > limit {
		return nil, fmt.Errorf("%s is %d bytes, more than the %d it can need", path, st.Size(), limit)
	}
	data, err := io.ReadAll(io.LimitReader(f, st.Size()+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) != st.Size() {
		return nil, fmt.Errorf("%s changed size while it was read", path)
	}
	return data, nil
}

// ReadHead returns the first n bytes of the regular file at path, or all
// of a shorter one, refusing anything else as ReadFile does: a loader
// reads a file's header to say what the file is even when it refuses the
// whole.
func ReadHead(path string, n int64) ([]byte, error) {
	f, _, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, n))
}

// openRegular opens path when it is a regular file.
func openRegular(path string) (*os.File, os.FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	st, err := f.Stat()
	if err == nil && !st.Mode().IsRegular() {
		err = fmt.Errorf("%s is not a regular file", path)
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, st, nil
}
