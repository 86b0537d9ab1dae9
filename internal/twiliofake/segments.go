package twiliofake

import (
	"strings"
	"unicode/utf16"
)

// GSM 03.38 basic character set and its extension table (extension characters
// take two septets).
const (
	gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsmExtension = "^{}\\[~]|€\f"
)

// segments counts the SMS segments a body takes: GSM-7 (160 septets, 153 per
// part when split) when every character fits, else UCS-2 (70 UTF-16 units, 67
// per part). Twilio's Smart Encoding may replace some characters first; the fake
// does not.
func segments(body string) int {
	septets, gsm := 0, true
	for _, r := range body {
		switch {
		case strings.ContainsRune(gsmBasic, r):
			septets++
		case strings.ContainsRune(gsmExtension, r):
			septets += 2
		default:
			gsm = false
		}
	}
	if gsm {
		return parts(septets, 160, 153)
	}
	return parts(len(utf16.Encode([]rune(body))), 70, 67)
}

func parts(units, single, multi int) int {
	if units <= single {
		return 1
	}
	return (units + multi - 1) / multi
}
