package projections

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// FormatCursor encodes a position in a listing ordered by a time then an
// id, for a URL: unix microseconds, a dot, the id.
func FormatCursor(at time.Time, id string) string {
	return strconv.FormatInt(at.UnixMicro(), 10) + "." + id
}

// ParseCursor decodes a position made by FormatCursor. The empty string is
// the start: the zero time and no id.
func ParseCursor(s string) (time.Time, string, error) {
	if s == "" {
		return time.Time{}, "", nil
	}
	micros, id, ok := strings.Cut(s, ".")
	if !ok || id == "" {
		return time.Time{}, "", fmt.Errorf("cursor %q: want <micros>.<id>", s)
	}
	us, err := strconv.ParseInt(micros, 10, 64)
	if err != nil {
		return time.Time{}, "", fmt.Errorf("cursor %q: %w", s, err)
	}
	return time.UnixMicro(us).UTC(), id, nil
}
