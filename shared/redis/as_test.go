package redis_test

import (
	goredis "github.com/redis/go-redis/v9"

	"github.com/burst-dev/burst/shared"
)

func asRedis(c *shared.Client) bool {
	var rdb *goredis.Client
	return c.As(&rdb) && rdb != nil
}
