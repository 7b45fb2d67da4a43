package main

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

// createdTime resolves the spec's created field: an RFC 3339 time, "now",
// or empty for SOURCE_DATE_EPOCH, else the Unix epoch.
func createdTime(s string) (time.Time, error) {
	switch s {
	case "now":
		return time.Now().UTC().Truncate(time.Second), nil
	case "":
		return sourceDateEpoch()
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("created %q: expected an RFC 3339 time or \"now\": %w", s, err)
	}
	return t.UTC().Truncate(time.Second), nil
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
