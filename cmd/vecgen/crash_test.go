//go:build linux

package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vecgen/vecgen/kernels"
)

// asVecgen, set in a test binary's environment, makes it run as vecgen
// itself, so that the crash tests kill a real vecgen process.
const asVecgen = "VECGEN_TEST_AS_VECGEN"

func TestMain(m *testing.M) {
	if os.Getenv(asVecgen) == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// temporary matches the names of gen.Write's temporary files.
var temporary = regexp.MustCompile(`^\..+\.[0-9]+\.tmp$`)

// crashCase is a run of vecgen that replaces the files an earlier one
// wrote into out: setUp prepares the inputs of the earlier run or of the
// later one, and args gives the command line of that run.
type crashCase struct {
	name  string
	setUp func(t *testing.T, dir string, later bool)
	args  func(dir, out string, later bool) []string
}

var crashCases = []crashCase{
	{"vecgen -spec", func(t *testing.T, dir string, later bool) {
		spec := fmt.Sprintf("name: M\nbatch: %d\ninput: 4\nlayers:\n  - {dense: 3, activation: relu}\n  - {dense: 2}\nloss: mse\n", map[bool]int{false: 3, true: 5}[later])
		require.NoError(t, os.WriteFile(filepath.Join(dir, "m.yaml"), []byte(spec), 0o644))
	}, func(dir, out string, later bool) []string {
		return []string{"-spec", filepath.Join(dir, "m.yaml"), "-out", out, "-pkg", "m"}
	}},
	{"vecgen import", func(t *testing.T, dir string, later bool) {
		exportNetwork(t, filepath.Join(dir, "m.onnx"), kernels.SeedNetwork(), map[bool]uint64{false: 2, true: 3}[later])
	}, func(dir, out string, later bool) []string {
		batch := map[bool]string{false: "3", true: "4"}[later]
		return []string{"import", "-onnx", filepath.Join(dir, "m.onnx"), "-batch", batch, "-out", out, "-pkg", "m"}
	}},
}

// A vecgen killed by SIGKILL while it replaces a package (or an import's
// files) leaves each file whole, old or new, and nothing else but its
// temporary files; the next run finishes the job and removes those. The
// kills fall in turn at a random moment of the run, at a random moment of
// the writing of temporary files, and just after the first rename, until
// one has left old and new files side by side (at most 40 runs).
func TestKilledRunLeavesOldOrNewFiles(t *testing.T) {
	for _, c := range crashCases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			out, ref := filepath.Join(dir, "out"), filepath.Join(dir, "ref")
			c.setUp(t, dir, false)
			requireRun(t, c.args(dir, out, false))
			oldFiles := listing(t, out)
			c.setUp(t, dir, true)
			start := time.Now()
			requireRun(t, c.args(dir, ref, true))
			full := time.Since(start)
			newFiles := listing(t, ref)
			require.NotEmpty(t, differences(oldFiles, newFiles))

			outcomes := map[string]int{}
			for attempt := 0; attempt < 40 && (attempt < 2*killModes || outcomes["renaming"] == 0); attempt++ {
				restore(t, out, oldFiles)
				killAtRandom(t, c.args(dir, out, true), out, attempt%killModes, full)
				outcomes[checkOldOrNew(t, listing(t, out), oldFiles, newFiles)]++
				requireRun(t, c.args(dir, out, true))
				require.Empty(t, differences(listing(t, out), newFiles), "after the next run")
			}
			t.Log(outcomes)
			assert.NotZero(t, outcomes["writing temporaries"]+outcomes["renaming"], "no kill landed while vecgen wrote")
		})
	}
}

// requireRun runs vecgen with args in this process, to completion.
func requireRun(t *testing.T, args []string) {
	t.Helper()
	code, _, stderr := runVecgen(args...)
	require.Equal(t, 0, code, stderr)
}

// restore makes dir hold exactly files.
func restore(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	require.NoError(t, os.RemoveAll(dir))
	require.NoError(t, os.Mkdir(dir, 0o755))
	for name, data := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644))
	}
}

// Where killAtRandom kills vecgen: at a random moment of the run, at a
// random moment of the writing of temporary files (within 0.5 ms of the
// first one's creation), or just after the first of them is renamed into
// place.
const (
	killAnywhere = iota
	killWritingTemporaries
	killRenaming
	killModes
)

// killAtRandom starts vecgen with args as a process of its own and kills
// it with SIGKILL where mode says; full is about how long a run takes. It
// learns of the files vecgen creates and renames in out from inotify.
func killAtRandom(t *testing.T, args []string, out string, mode int, full time.Duration) {
	t.Helper()
	events := map[int]uint32{killWritingTemporaries: syscall.IN_CREATE, killRenaming: syscall.IN_MOVED_TO}[mode]
	fd, err := syscall.InotifyInit1(syscall.IN_NONBLOCK | syscall.IN_CLOEXEC)
	require.NoError(t, err)
	defer syscall.Close(fd)
	if events != 0 {
		_, err = syscall.InotifyAddWatch(fd, out, events)
		require.NoError(t, err)
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), asVecgen+"=1")
	require.NoError(t, cmd.Start())
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	if mode == killAnywhere {
		time.Sleep(rand.N(full))
	} else {
		buf := make([]byte, 64<<10)
		for {
			if n, _ := syscall.Read(fd, buf); n > 0 {
				break
			}
			select {
			case <-exited:
				return
			default:
			}
		}
		if mode == killWritingTemporaries {
			for wait := time.Now().Add(rand.N(500 * time.Microsecond)); time.Now().Before(wait); {
			}
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	<-exited
}

// checkOldOrNew checks that files (a listing after a kill) hold every old
// file, each one whole, old or new, and besides them only temporary
// files, and says where the kill fell.
func checkOldOrNew(t *testing.T, files, oldFiles, newFiles map[string]string) string {
	t.Helper()
	temps, renamed := 0, 0
	for name, data := range files {
		oldData, wasOld := oldFiles[name]
		newData, isNew := newFiles[name]
		switch {
		case temporary.MatchString(name):
			temps++
		case wasOld && data == oldData:
		case isNew && data == newData:
			renamed++
		default:
			t.Errorf("%s is neither its old contents nor its new ones (%d bytes)", name, len(data))
		}
	}
	for name := range oldFiles {
		if _, ok := files[name]; !ok {
			t.Errorf("%s, an old file, is gone", name)
		}
	}
	switch {
	case temps > 0 && renamed == 0:
		return "writing temporaries"
	case temps > 0 || len(differences(files, newFiles)) > 0:
		if renamed == 0 {
			return "before the writing"
		}
		return "renaming"
	}
	return "after the writing"
}

// differences names the entries of got that are not in want or differ
// from it, and those of want missing from got.
func differences(got, want map[string]string) []string {
	var diff []string
	for name, data := range got {
		if w, ok := want[name]; !ok {
			diff = append(diff, "extra "+name)
		} else if w != data {
			diff = append(diff, "changed "+name)
		}
	}
	for name := range want {
		if _, ok := got[name]; !ok {
			diff = append(diff, "missing "+name)
		}
	}
	return diff
}
