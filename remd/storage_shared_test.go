package remd

import (
	"net/url"
	"testing"

	"github.com/burst-dev/burst/internal/testenv"
	_ "github.com/burst-dev/burst/shared/redis"
)

func TestIdenticalInSharedStorage(t *testing.T) {
	want := runTo(t, "local://", smallRun())

	cfg := smallRun()
	cfg.Storage, cfg.SharedURL = Shared, "mem://remd-test"
	sameFiles(t, "shared mem:// on local:// vs payload", runTo(t, "local://", cfg), want)

	redis := testenv.StartRedis(t, testenv.RedisOptions{})
	cfg.SharedURL = redis.URL(url.Values{"namespace": {"remd-test"}})
	sameFiles(t, "shared redis:// on process:// vs payload", runTo(t, "process://?workers=2", cfg), want)
}
