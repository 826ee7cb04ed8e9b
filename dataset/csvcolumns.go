package dataset

import (
	"fmt"
	"io"
)

// columnLimit passes a CSV stream through until a record has more than
// max columns, then fails, so that encoding/csv, which holds a whole
// record and about 50 bytes per field before returning it, never holds a
// wider one: a row of millions of columns costs the reader no more than
// the widest a model can take. It follows the quoting as encoding/csv
// reads valid CSV: a comma (the delimiter, an ASCII byte) or line break
// inside quotes separates nothing.
type columnLimit struct {
	r       io.Reader
	max     int
	comma   byte
	columns int  // of the current record so far
	quoted  bool // inside a quoted field
	line    int  // of the input, from 1
	err     *wideRowError
}

// wideRowError is columnLimit's failure.
type wideRowError struct {
	line, max int
}

func (e *wideRowError) Error() string {
	return fmt.Sprintf("line %d: more than %d columns", e.line, e.max)
}

func newColumnLimit(r io.Reader, max int, comma byte) *columnLimit {
	return &columnLimit{r: r, max: max, comma: comma, columns: 1, line: 1}
}

func (c *columnLimit) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.r.Read(p)
	for i, b := range p[:n] {
		switch {
		case b == '"':
			c.quoted = !c.quoted
		case b == '\n':
			c.line++
			if !c.quoted {
				c.columns = 1
			}
		case b == c.comma && !c.quoted:
			if c.columns++; c.columns > c.max {
				c.err = &wideRowError{c.line, c.max}
				return i, c.err
			}
		}
	}
	return n, err
}
