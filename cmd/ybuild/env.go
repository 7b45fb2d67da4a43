package main

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/ybuild/ybuild/spec"
)

// createdTime resolves the spec's created field (parsed by
// spec.ParseCreated): an RFC 3339 time, "now" (the clock), or empty for
// SOURCE_DATE_EPOCH, else the Unix epoch.
func createdTime(s string) (time.Time, error) {
	t, now, set, err := spec.ParseCreated(s)
	switch {
	case err != nil:
		return time.Time{}, fmt.Errorf("created: %w", err)
	case now:
		return time.Now().UTC().Truncate(time.Second), nil
	case !set:
		return sourceDateEpoch()
	}
	return t, nil
}

// sourceDateEpoch reads SOURCE_DATE_EPOCH (seconds since the epoch); unset or
// empty gives the Unix epoch.
func sourceDateEpoch() (time.Time, error) {
	v := os.Getenv("SOURCE_DATE_EPOCH")
	if v == "" {
		return time.Unix(0, 0).UTC(), nil
	}
	sec, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("the environment variable SOURCE_DATE_EPOCH should be the number of seconds since January 1st 1970, 00:00 UTC, got %q", v)
	}
	return time.Unix(sec, 0).UTC(), nil
}
