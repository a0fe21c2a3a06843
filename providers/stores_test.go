package providers_test

import (
	"context"
	"io/fs"
	"testing"

	"github.com/burst-dev/burst/internal/testenv"
	"github.com/burst-dev/burst/providers"
	"github.com/burst-dev/burst/shared"
)

// The switch covers storage and shared state too: a config naming an S3
// bucket and a Redis server works with no import in the program.
func TestOpenWithS3StorageAndRedisShared(t *testing.T) {
	noEnv(t)
	s3 := testenv.StartS3(t)
	rd := testenv.StartRedis(t, testenv.RedisOptions{})
	yaml := "storage: \"" + s3.BucketURL(t, "burst-job") + "\"\nshared: \"" + rd.URL(nil) + "\"\n"
	cfg, err := providers.Parse("burst.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	env, err := providers.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	if err := env.FS.WithContext(ctx).WriteFile("runs/1/state.json", []byte(`{"ok":true}`)); err != nil {
		t.Fatal(err)
	}
	if b, err := fs.ReadFile(env.FS, "runs/1/state.json"); err != nil || string(b) != `{"ok":true}` {
		t.Fatalf("ReadFile = %q, %v", b, err)
	}
	m := shared.NewMap[string, int](env.Shared, "counts")
	if err := m.Store(ctx, "a", 7); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := m.Load(ctx, "a"); err != nil || !ok || v != 7 {
		t.Fatalf("Load = %d, %v, %v", v, ok, err)
	}
}
