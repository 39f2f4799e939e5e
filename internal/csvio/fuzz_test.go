package csvio

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// FuzzReadEnterprises checks that no input makes ReadEnterprises panic,
// that every failure is Errors with sensible lines, and that what it
// accepts is written and read back unchanged. The seed corpus is in
// testdata/fuzz/FuzzReadEnterprises and the sample files.
func FuzzReadEnterprises(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "enterprises_*.csv"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		es, err := ReadEnterprises(bytes.NewReader(data))
		if err != nil {
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error = %v (%T), want Errors", err, err)
			}
			if len(errs) == 0 {
				t.Fatal("empty Errors")
			}
			for _, e := range errs {
				if e.Line < 1 || e.Reason == "" || !utf8.ValidString(e.Value) || !utf8.ValidString(e.Column) {
					t.Fatalf("bad RowError %+v", e)
				}
			}
			_ = errs.Error()
			return
		}
		var out bytes.Buffer
		if err := WriteEnterprises(&out, es); err != nil {
			t.Fatal(err)
		}
		back, err := ReadEnterprises(bytes.NewReader(out.Bytes()))
		if err != nil {
			t.Fatalf("reading back what was written: %v\n%s", err, out.Bytes())
		}
		if diff := cmp.Diff(es, back); diff != "" {
			t.Fatalf("round trip (-read +read back):\n%s", diff)
		}
	})
}
