package cloudfs_test

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"

	"github.com/burst-dev/burst/cloudfs"
	"github.com/burst-dev/burst/internal/testenv"
)

// A call on a bucket that does not exist, or whose name the store refuses,
// says so, naming the bucket and the names the store takes. It said "file
// does not exist" about the file asked for (remd: "lease.json: file does
// not exist"), as if the bucket were there without it; RemoveFiles, which
// takes a missing name for one already removed, said nil, as if the files
// were gone.
func TestBucketErrorsNameTheBucket(t *testing.T) {
	type store struct {
		name string
		// url returns the URL of bucket on a server where it was never
		// created (and exists is).
		url func(t *testing.T) func(bucket string) string
		// Missing and invalid-named buckets: the kind each gives.
		cases map[string]error
		rule  string // how the names it takes are described
	}
	renamer := func(u string) func(string) string {
		return func(b string) string { return strings.Replace(u, "exists", b, 1) }
	}
	stores := []store{
		{name: "s3", url: func(t *testing.T) func(string) string {
			s3 := testenv.StartS3With(t, testenv.S3Options{NoAutobucket: true})
			return renamer(s3.BucketURL(t, "exists"))
		}, cases: map[string]error{"missing": fs.ErrNotExist, "Bad_Name": fs.ErrNotExist, "ab": fs.ErrNotExist},
			rule: "S3 bucket names are 3 to 63 characters"},
		{name: "gcs", url: func(t *testing.T) func(string) string {
			return renamer(testenv.StartGCS(t).BucketURL(t, "exists"))
		}, cases: map[string]error{"missing": fs.ErrNotExist, "Bad_Name": fs.ErrNotExist},
			rule: "GCS bucket names are 3 to 63 characters"},
		{name: "azure", url: func(t *testing.T) func(string) string {
			return renamer(testenv.StartAzurite(t).BucketURL(t, "exists"))
		}, cases: map[string]error{"missing": fs.ErrNotExist, "Bad_Name": fs.ErrInvalid},
			rule: "Azure container names are 3 to 63 characters"},
	}
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			url := st.url(t)
			for bucket, kind := range st.cases {
				fsys, err := cloudfs.Open(context.Background(), url(bucket))
				if err != nil {
					t.Fatalf("Open(%s): %v", bucket, err)
				}
				defer fsys.Close()
				_, rerr := fsys.ReadDir(".")
				// Reads: GCS answers a missing bucket as a missing object.
				_, ferr := fsys.ReadFile("run/state.bin")
				_, serr := fsys.Stat("run/state.bin")
				_, oerr := fsys.Open("run/state.bin")
				calls := map[string]error{
					"CreateExclusive": fsys.CreateExclusive("run/lease.json", []byte("{}")),
					"WriteFile":       fsys.WriteFile("run/state.bin", []byte("x")),
					"ReadDir":         rerr,
					"ReadFile":        ferr,
					"Stat":            serr,
					"Open":            oerr,
					// Deletes of names that may be gone already: a missing
					// name is no error, a missing bucket is.
					"RemoveFiles":          fsys.RemoveFiles("run/old.bin"),
					"RemoveFiles(3 names)": fsys.RemoveFiles("run/a.bin", "run/b.bin", "c.bin"),
				}
				valid := bucket == "missing"
				for call, err := range calls {
					msg := "<nil>"
					if err != nil {
						msg = err.Error()
					}
					var pe *fs.PathError
					switch {
					case !errors.Is(err, kind) || !errors.As(err, &pe):
						t.Errorf("%s on bucket %q: %v, want an *fs.PathError that is %v", call, bucket, err, kind)
					case !strings.Contains(msg, `"`+bucket+`"`):
						t.Errorf("%s on bucket %q: %q does not name the bucket", call, bucket, msg)
					case valid && !strings.Contains(msg, "does not exist") || valid && strings.Contains(msg, st.rule):
						t.Errorf("%s on missing bucket %q: %q, want it said not to exist, and no naming rule", call, bucket, msg)
					case !valid && !strings.Contains(msg, st.rule):
						t.Errorf("%s on bucket %q: %q, want the names the store takes (%s…)", call, bucket, msg, st.rule)
					}
				}
			}
		})
	}
}
