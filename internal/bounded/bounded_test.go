package bounded

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	require.NoError(t, os.WriteFile(path, []byte("0123456789"), 0o644))
	data, err := ReadFile(path, 10)
	require.NoError(t, err)
	assert.Equal(t, "0123456789", string(data))
	_, err = ReadFile(path, 9)
	assert.EqualError(t, err, path+" is 10 bytes, more than the 9 it can need")
	_, err = ReadFile(dir, 1<<20)
	assert.EqualError(t, err, dir+" is not a regular file")
	_, err = ReadFile("/dev/zero", 1<<20)
	assert.EqualError(t, err, "/dev/zero is not a regular file")
	_, err = ReadFile(filepath.Join(dir, "missing"), 1)
	assert.ErrorIs(t, err, os.ErrNotExist)

	head, err := ReadHead(path, 4)
	require.NoError(t, err)
	assert.Equal(t, "0123", string(head))
	head, err = ReadHead(path, 100)
	require.NoError(t, err)
	assert.Equal(t, "0123456789", string(head))
	_, err = ReadHead("/dev/zero", 4)
	assert.EqualError(t, err, "/dev/zero is not a regular file")
}
