package twiliofake

import (
	"strings"
	"testing"
)

func TestSegments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want int
	}{
		{"empty", "", 1},
		{"160 GSM", strings.Repeat("a", 160), 1},
		{"161 GSM", strings.Repeat("a", 161), 2},
		{"306 GSM", strings.Repeat("a", 306), 2},
		{"307 GSM", strings.Repeat("a", 307), 3},
		{"GSM accents", strings.Repeat("é", 160), 1},
		{"80 extension chars", strings.Repeat("€", 80), 1},
		{"81 extension chars", strings.Repeat("€", 81), 2},
		{"70 UCS-2", strings.Repeat("ł", 70), 1},
		{"71 UCS-2", strings.Repeat("ł", 71), 2},
		{"35 emoji (70 UTF-16 units)", strings.Repeat("🙂", 35), 1},
		{"36 emoji", strings.Repeat("🙂", 36), 2},
		{"one non-GSM char", strings.Repeat("a", 100) + "ł", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := segments(tt.body); got != tt.want {
				t.Errorf("segments = %d, want %d", got, tt.want)
			}
		})
	}
}
