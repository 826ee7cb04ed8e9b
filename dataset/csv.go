package dataset

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
)

// CSVOptions says how ReadCSVOptions reads a file.
type CSVOptions struct {
	// Header says the first row names the columns.
	Header bool
	// Target names the target columns by their header name (needs
	// Header; a name two columns share is refused as ambiguous);
	// TargetColumns gives them by 0-based index, negative counting from
	// the end. At most one of the two may be set; neither means the
	// last column.
	Target        []string
	TargetColumns []int
	// Regression reads the targets as numbers into Set.Y (one or more
	// columns); otherwise the single target column holds integer class
	// labels.
	Regression bool
	// Classes, when positive, is the number of classes: every label must
	// be below it, so a file that lacks a class still gives targets of the
	// model's width. Zero infers it as one more than the largest label.
	Classes int
	// Scale divides every feature; zero means 1.
	Scale float32
	// Comma is the field delimiter (encoding/csv's name for it), an ASCII
	// character that cannot be part of a number: ';' or '\t' (TSV), say.
	// Zero means ','. Numbers take a decimal point: a file whose
	// numbers have decimal commas (1,5) must be converted first.
	Comma rune
	// SkipRows is the number of lines before the header (or the first
	// sample) that are not part of the table, skipped as text, whatever
	// they hold: scikit-learn's bundled CSV files start with a line of
	// counts and class names.
	SkipRows int
}

// maxSkipRows bounds CSVOptions.SkipRows.
const maxSkipRows = 1 << 20

// ReadCSV reads a numeric CSV file without a header: one sample per row,
// the class label (an integer from 0 to MaxClasses−1) in column
// labelColumn (negative counts from the end, so −1 is the last), every
// other column a feature divided by scale. Classes is one more than the
// largest label. See ReadCSVOptions for headers, named columns, float
// targets and a fixed class count.
func ReadCSV(r io.Reader, labelColumn int, scale float32) (Set, error) {
	if scale == 0 || math.IsNaN(float64(scale)) || math.IsInf(float64(scale), 0) {
		return Set{}, fmt.Errorf("csv: scale %g is not a finite nonzero number", scale)
	}
	return ReadCSVOptions(r, CSVOptions{TargetColumns: []int{labelColumn}, Scale: scale})
}

// LoadCSV reads the CSV file at path with ReadCSVOptions; errors name it.
func LoadCSV(path string, opts CSVOptions) (Set, error) {
	f, err := os.Open(path)
	if err != nil {
		return Set{}, err
	}
	defer f.Close()
	s, err := ReadCSVOptions(f, opts)
	if err != nil {
		return Set{}, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// ReadCSVOptions reads a numeric CSV file, one sample per row: the target
// columns opts names and every other column a feature. Numbers are in
// plain decimal notation (no NaN, infinities, hex or digit separators)
// and must be finite after scaling; labels are integers from 0 to
// MaxClasses−1 (or Classes−1), written as such or with a fraction of
// zeros (1.0, as pandas writes a float column of classes). Spaces around
// an unquoted field are ignored, and a UTF-8 byte-order mark before the
// first row is skipped. Errors name the line of the file, blank lines included,
// and the column.
func ReadCSVOptions(r io.Reader, opts CSVOptions) (Set, error) {
	scale := opts.Scale
	if scale == 0 {
		scale = 1
	}
	if math.IsNaN(float64(scale)) || math.IsInf(float64(scale), 0) {
		return Set{}, fmt.Errorf("csv: scale %g is not a finite nonzero number", scale)
	}
	if len(opts.Target) > 0 && len(opts.TargetColumns) > 0 {
		return Set{}, errors.New("csv: set Target or TargetColumns, not both")
	}
	if len(opts.Target) > 0 && !opts.Header {
		return Set{}, errors.New("csv: Target names columns by their header; set Header or use TargetColumns")
	}
	if opts.Classes < 0 || opts.Classes > MaxClasses {
		return Set{}, fmt.Errorf("csv: Classes %d is not from 0 to %d", opts.Classes, MaxClasses)
	}
	if opts.SkipRows < 0 || opts.SkipRows > maxSkipRows {
		return Set{}, fmt.Errorf("csv: SkipRows %d is not from 0 to %d", opts.SkipRows, maxSkipRows)
	}
	comma := opts.Comma
	if comma == 0 {
		comma = ','
	}
	if !validComma(comma) {
		return Set{}, fmt.Errorf("csv: Comma %q cannot separate fields", comma)
	}
	br := bufio.NewReader(r)
	if head, err := br.Peek(len(byteOrderMark)); err == nil && string(head) == byteOrderMark {
		br.Discard(len(byteOrderMark))
	}
	skipped, err := skipLines(br, opts.SkipRows)
	if err != nil {
		return Set{}, fmt.Errorf("csv: %w", err)
	}
	columns := MaxFeatures + 1
	if opts.Regression {
		columns = MaxFeatures + MaxTargets
	}
	limit := newColumnLimit(br, columns, byte(comma))
	limit.line += skipped
	cr := csv.NewReader(limit)
	cr.ReuseRecord = true
	cr.Comma = comma
	cr.TrimLeadingSpace = comma != '\t' // else a run of tabs would be one delimiter
	cr.FieldsPerRecord = -1             // counted below, with a better message
	var s Set
	var target []bool // per column
	samples := 0      // rows read whole
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if pe := (*csv.ParseError)(nil); errors.As(err, &pe) {
			pe.StartLine, pe.Line = pe.StartLine+skipped, pe.Line+skipped // of the file
		}
		if wide := (*wideRowError)(nil); errors.As(err, &wide) {
			return Set{}, fmt.Errorf("csv: %v; no model takes more than %d features (MaxFeatures, a spec's widest input) and %s", wide, MaxFeatures, targetLimit(opts))
		}
		if err != nil {
			return Set{}, fmt.Errorf("csv: %w", err)
		}
		line, _ := cr.FieldPos(0)
		line += skipped
		if target == nil {
			for i := range rec {
				rec[i] = strings.Trim(rec[i], " \t")
			}
			if hint := commaHint(rec, comma); hint != "" {
				return Set{}, fmt.Errorf("csv: line %d: one column, %q; %s", line, cut(rec[0]), hint)
			}
			if target, err = targetColumns(rec, opts, line); err != nil {
				return Set{}, err
			}
			s.Features = len(rec)
			for _, t := range target {
				if t {
					s.Features--
				}
			}
			s.Targets = len(rec) - s.Features
			if s.Features > MaxFeatures {
				return Set{}, fmt.Errorf("csv: line %d: %d features; no model takes more than %d (MaxFeatures, a spec's widest input)", line, s.Features, MaxFeatures)
			}
			if s.Targets > MaxTargets {
				return Set{}, fmt.Errorf("csv: line %d: %d targets; no model takes more than %d (MaxTargets)", line, s.Targets, MaxTargets)
			}
			if !opts.Regression {
				s.Targets = 0
			}
			if opts.Header {
				continue
			}
		} else if len(rec) != len(target) {
			return Set{}, fmt.Errorf("csv: line %d: %d columns, the first row has %d%s", line, len(rec), len(target), widthHint(opts, samples))
		}
		for i, field := range rec {
			field = strings.Trim(field, " \t")
			switch {
			case !target[i]:
				v, err := strconv.ParseFloat(field, 32)
				x := float32(v) / scale
				if err != nil || !decimal(field) || math.IsInf(float64(x), 0) {
					return Set{}, fmt.Errorf("csv: line %d, column %d: %q is not a finite decimal number%s", line, i+1, field, headerHint(opts, samples, field))
				}
				s.X = append(s.X, x)
			case opts.Regression:
				v, err := strconv.ParseFloat(field, 32)
				if err != nil || !decimal(field) || math.IsInf(v, 0) {
					return Set{}, fmt.Errorf("csv: line %d, column %d: target %q is not a finite decimal number%s", line, i+1, field, headerHint(opts, samples, field))
				}
				s.Y = append(s.Y, float32(v))
			default:
				limit := MaxClasses
				if opts.Classes > 0 {
					limit = opts.Classes
				}
				digits := integral(field)
				label, err := strconv.Atoi(digits)
				if err != nil || label < 0 || label >= limit || strings.Trim(digits, "0123456789") != "" {
					return Set{}, fmt.Errorf("csv: line %d: label %q is not an integer from 0 to %d%s", line, field, limit-1, headerHint(opts, samples, field))
				}
				s.Labels = append(s.Labels, label)
				s.Classes = max(s.Classes, label+1)
			}
		}
		samples++
	}
	if s.Len() == 0 {
		if skipped > 0 {
			return Set{}, fmt.Errorf("csv: no rows after the %d lines SkipRows skips", skipped)
		}
		return Set{}, errors.New("csv: no rows")
	}
	if opts.Classes > 0 {
		s.Classes = opts.Classes
	}
	return s, nil
}

// skipLines reads past the first n lines of br as text (a line may be of
// any length: it is read piecewise, never held) and returns how many
// there were, fewer when the input ends first.
func skipLines(br *bufio.Reader, n int) (int, error) {
	for skipped := 0; skipped < n; skipped++ {
		line, err := br.ReadSlice('\n')
		length := len(line)
		for err == bufio.ErrBufferFull {
			line, err = br.ReadSlice('\n')
			length += len(line)
		}
		switch {
		case err == io.EOF && length > 0: // a last line without its newline
			return skipped + 1, nil
		case err == io.EOF:
			return skipped, nil
		case err != nil:
			return skipped, err
		}
	}
	return n, nil
}

// integral returns a label's digits: the field itself, or without a
// fraction of zeros (1.0, 2.00), as pandas writes a float column.
func integral(field string) string {
	if i := strings.IndexByte(field, '.'); i > 0 && i < len(field)-1 && strings.Trim(field[i+1:], "0") == "" {
		return field[:i]
	}
	return field
}

// validComma reports whether r can separate the fields of a numeric CSV
// file: ASCII, and neither part of a number nor of CSV's quoting and
// lines.
func validComma(r rune) bool {
	return r > ' ' && r < 0x7f && !strings.ContainsRune(`"0123456789.+-eE`, r) || r == '\t'
}

// commaHint suggests CSVOptions.Comma for a first row that is one column
// holding another common delimiter.
func commaHint(rec []string, comma rune) string {
	if len(rec) != 1 {
		return ""
	}
	return otherDelimiter(rec[0], comma)
}

// otherDelimiter suggests CSVOptions.Comma for a field that holds one of
// the common delimiters other than comma.
func otherDelimiter(field string, comma rune) string {
	for _, d := range []rune{';', '\t', '|', ','} {
		if d != comma && strings.ContainsRune(field, d) {
			return fmt.Sprintf("the fields look separated by %q: set CSVOptions.Comma to it", d)
		}
	}
	return ""
}

// decimalComma reports whether f is a number written with a decimal
// comma (1,5 or -0,25), as spreadsheets write them in many locales.
func decimalComma(f string) bool {
	whole, frac, ok := strings.Cut(trimSign(f), ",")
	return ok && whole != "" && frac != "" && strings.Trim(whole+frac, "0123456789") == ""
}

// cut shortens a field for a message.
func cut(f string) string {
	if len(f) > 64 {
		return f[:64] + "..."
	}
	return f
}

// targetLimit says how many target columns a model can take.
func targetLimit(opts CSVOptions) string {
	if opts.Regression {
		return fmt.Sprintf("%d targets (MaxTargets)", MaxTargets)
	}
	return "a label"
}

// byteOrderMark starts the files spreadsheets save as "CSV UTF-8"; it
// belongs to no field.
const byteOrderMark = "\uFEFF"

// countRow names the rows scikit-learn's bundled CSV files start with.
const countRow = "such as the count row scikit-learn's CSV files start with, set CSVOptions.SkipRows"

// headerHint suggests Header, or SkipRows, when a field of the first row
// is a word rather than a number (NaN and 1e999 are numbers that are not
// finite, not names), and says that decimal commas are not read when the
// field is one.
func headerHint(opts CSVOptions, samples int, field string) string {
	comma := opts.Comma
	if comma == 0 {
		comma = ','
	}
	switch other := otherDelimiter(field, comma); {
	case decimalComma(field):
		return " (numbers take a decimal point: convert the file's decimal commas first)"
	case other != "" && samples == 0:
		return " (" + other + ")"
	}
	if _, err := strconv.ParseFloat(field, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		return ""
	}
	if !opts.Header && samples == 0 {
		return " (if the first row names the columns, set CSVOptions.Header; if it is not part of the table, " + countRow + ")"
	}
	return ""
}

// widthHint suggests SkipRows when the row after the header has another
// width than the header, as a file whose header is a row of counts does.
func widthHint(opts CSVOptions, samples int) string {
	switch {
	case opts.Header && samples == 0:
		return " (if rows before the header are not part of the table, " + countRow + ")"
	case !opts.Header && samples == 1:
		return " (if the first row is not part of the table, " + countRow + ")"
	}
	return ""
}

// targetColumns marks the target columns of a file whose first row is rec.
func targetColumns(rec []string, opts CSVOptions, line int) ([]bool, error) {
	target := make([]bool, len(rec))
	var cols []int
	switch {
	case len(opts.Target) > 0:
		for _, name := range opts.Target {
			i := slices.Index(rec, name)
			if i < 0 {
				return nil, fmt.Errorf("csv: line %d: no column named %q in the header", line, name)
			}
			if j := slices.Index(rec[i+1:], name); j >= 0 {
				return nil, fmt.Errorf("csv: line %d: columns %d and %d are both named %q; rename one, or give the target by index (CSVOptions.TargetColumns)", line, i+1, i+j+2, name)
			}
			cols = append(cols, i)
		}
	case len(opts.TargetColumns) > 0:
		for _, c := range opts.TargetColumns {
			i := c
			if i < 0 {
				i += len(rec)
			}
			if i < 0 || i >= len(rec) || len(rec) < 2 {
				return nil, fmt.Errorf("csv: line %d: %d columns, no label column %d", line, len(rec), c)
			}
			cols = append(cols, i)
		}
	default:
		cols = []int{len(rec) - 1}
	}
	for _, i := range cols {
		if target[i] {
			return nil, fmt.Errorf("csv: column %d is named twice as a target", i+1)
		}
		target[i] = true
	}
	if len(cols) >= len(rec) {
		return nil, fmt.Errorf("csv: line %d: %d columns leave no feature beside %d targets", line, len(rec), len(cols))
	}
	if !opts.Regression && len(cols) != 1 {
		return nil, fmt.Errorf("csv: %d target columns; class labels take one (set Regression for numeric targets)", len(cols))
	}
	return target, nil
}

// MaxFeatures and MaxTargets bound the columns ReadCSVOptions reads: no
// model takes more features, or gives more outputs, than a spec's widest
// layer (spec.MaxWidth).
const (
	MaxFeatures = 16384
	MaxTargets  = 16384
)
