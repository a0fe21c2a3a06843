package cloudfs

import (
	"context"
	"io"
	"testing"
)

func TestOpenStreamsFromItsGET(t *testing.T) {
	fsys, err := Open(context.Background(), "mem://")
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	if err := fsys.WriteFile("f", []byte("0123456789")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		use      func(*File) (string, error)
		want     string
		keepsGET bool // Open's reader is still the one in use
	}{
		{"Read", func(fl *File) (string, error) {
			b := make([]byte, 4)
			n, err := fl.Read(b)
			return string(b[:n]), err
		}, "0123", true},
		{"io.Copy", func(fl *File) (string, error) {
			b, err := io.ReadAll(fl)
			return string(b), err
		}, "0123456789", true},
		{"ReadAt", func(fl *File) (string, error) {
			b := make([]byte, 3)
			n, err := fl.ReadAt(b, 5)
			return string(b[:n]), err
		}, "567", false},
		{"Seek then Read", func(fl *File) (string, error) {
			if _, err := fl.Seek(8, io.SeekStart); err != nil {
				return "", err
			}
			b, err := io.ReadAll(fl)
			return string(b), err
		}, "89", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := fsys.Open("f")
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			fl := f.(*File)
			openR := fl.r
			if openR == nil || fl.info.size != 10 {
				t.Fatalf("after Open: reader %v, size %d; want Open's GET and size 10", openR, fl.info.size)
			}
			got, err := tt.use(fl)
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
			if kept := fl.r == openR; kept != tt.keepsGET {
				t.Errorf("still reading from Open's GET = %v, want %v", kept, tt.keepsGET)
			}
		})
	}
}
